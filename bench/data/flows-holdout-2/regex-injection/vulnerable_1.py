# expect: regex-injection line 17
import re

from flask import Flask, jsonify, request

app = Flask(__name__)
ARTICLES = [
    {"id": 1, "title": "Getting started with Flask"},
    {"id": 2, "title": "Deploying Python apps"},
    {"id": 3, "title": "Testing web APIs"},
]


@app.route("/articles/search")
def search_articles():
    term = request.args.get("term", "")
    pattern = re.compile(term, re.IGNORECASE)
    matches = [a for a in ARTICLES if pattern.search(a["title"])]
    return jsonify(matches)
