# expect: regex-injection line 12
import re

from flask import Flask, jsonify, request

app = Flask(__name__)
ARTICLES = ["Intro to Flask", "Regular expressions in Python", "Deploying with Docker"]


@app.route("/search")
def search():
    pattern = re.compile(request.args.get("q", ""), re.IGNORECASE)
    return jsonify([title for title in ARTICLES if pattern.search(title)])
