# expect: nosql-injection line 14
import json

from flask import Flask, jsonify, request
from pymongo import MongoClient

app = Flask(__name__)
db = MongoClient("mongodb://localhost:27017")["shop"]


@app.route("/products")
def products():
    query = json.loads(request.args.get("filter", "{}"))
    found = db.products.find(query)
    return jsonify([{"name": p["name"], "price": p["price"]} for p in found])
