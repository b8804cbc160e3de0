# expect: nosql-injection line 12
from flask import Flask, jsonify, request
from pymongo import MongoClient

app = Flask(__name__)
notes = MongoClient()["app"]["notes"]


@app.route("/notes")
def list_notes():
    owner = request.args.get("owner", "")
    cursor = notes.find({"$where": f"this.owner == '{owner}'"})
    return jsonify([n["text"] for n in cursor])
