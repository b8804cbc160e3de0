# expect: none
# safe: URL must be https and its hostname must be in a fixed allow-list; redirects are not followed
from urllib.parse import urlparse

import requests
from flask import Flask, jsonify, request

app = Flask(__name__)
ALLOWED_HOSTS = {"www.example.com", "blog.example.com", "docs.example.com"}


@app.route("/preview")
def link_preview():
    target_url = request.args.get("url")
    if not target_url:
        return jsonify({"error": "url is required"}), 400
    parsed = urlparse(target_url)
    if parsed.scheme != "https" or parsed.hostname not in ALLOWED_HOSTS:
        return jsonify({"error": "url not allowed"}), 400
    resp = requests.get(target_url, timeout=5, allow_redirects=False)
    return jsonify({
        "status": resp.status_code,
        "length": len(resp.content),
        "content_type": resp.headers.get("Content-Type"),
    })
