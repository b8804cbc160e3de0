# expect: none
# safe: the filter is built from str() values of known fields, so no operator document reaches find()
from flask import Flask, jsonify, request
from pymongo import MongoClient

app = Flask(__name__)
db = MongoClient("mongodb://localhost:27017")["shop"]


@app.route("/products")
def products():
    query = {}
    for field in ("category", "brand"):
        if field in request.args:
            query[field] = str(request.args[field])
    found = db.products.find(query)
    return jsonify([{"name": p["name"], "price": p["price"]} for p in found])
