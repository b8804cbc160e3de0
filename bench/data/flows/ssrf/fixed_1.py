# expect: none
# safe: an allow-list check on the URL's scheme and host before the request is made
from urllib.parse import urlparse

import requests
from flask import Flask, abort, jsonify, request

app = Flask(__name__)
ALLOWED_HOSTS = {"api.example.com", "cdn.example.com"}


@app.route("/fetch")
def fetch():
    url = request.args["url"]
    parsed = urlparse(url)
    if parsed.scheme != "https" or parsed.hostname not in ALLOWED_HOSTS:
        abort(400)
    response = requests.get(url, timeout=5)
    return jsonify({"status": response.status_code, "length": len(response.content)})
