# expect: none
# safe: only https URLs whose host is in an allow-list are fetched
from urllib.parse import urlparse

import requests
from flask import Flask, request

app = Flask(__name__)
ALLOWED_HOSTS = {"api.example.com", "cdn.example.com"}


@app.route("/fetch")
def fetch():
    url = request.args.get("url", "")
    parsed = urlparse(url)
    if parsed.scheme != "https" or parsed.hostname not in ALLOWED_HOSTS:
        return {"error": "host not allowed"}, 400
    resp = requests.get(url, timeout=5, allow_redirects=False)
    return {"status": resp.status_code, "length": len(resp.content)}
