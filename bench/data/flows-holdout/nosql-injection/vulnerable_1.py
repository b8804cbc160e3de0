# expect: nosql-injection line 13
from flask import Flask, jsonify, request
from pymongo import MongoClient

app = Flask(__name__)
db = MongoClient("mongodb://localhost:27017")["shop"]


@app.route("/orders", methods=["POST"])
def find_orders():
    filters = request.get_json()
    customer = filters.get("customer")
    orders = list(db.orders.find({"customer": customer}, {"_id": 0}))
    return jsonify(orders)
