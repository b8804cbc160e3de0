# expect: none
# safe: a plain equality filter on a string value instead of $where JavaScript
from flask import Flask, jsonify, request
from pymongo import MongoClient

app = Flask(__name__)
notes = MongoClient()["app"]["notes"]


@app.route("/notes")
def list_notes():
    owner = request.args.get("owner", "")
    cursor = notes.find({"owner": owner})
    return jsonify([n["text"] for n in cursor])
