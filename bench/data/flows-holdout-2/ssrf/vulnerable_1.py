# expect: ssrf line 13
import requests
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/preview")
def link_preview():
    target_url = request.args.get("url")
    if not target_url:
        return jsonify({"error": "url is required"}), 400
    resp = requests.get(target_url, timeout=5)
    return jsonify({
        "status": resp.status_code,
        "length": len(resp.content),
        "content_type": resp.headers.get("Content-Type"),
    })
