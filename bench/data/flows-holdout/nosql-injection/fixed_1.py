# expect: none
# safe: the customer value is forced to a string so no query operator can be injected
from flask import Flask, jsonify, request
from pymongo import MongoClient

app = Flask(__name__)
db = MongoClient("mongodb://localhost:27017")["shop"]


@app.route("/orders", methods=["POST"])
def find_orders():
    filters = request.get_json(silent=True) or {}
    customer = filters.get("customer")
    if not isinstance(customer, str):
        return jsonify(error="customer must be a string"), 400
    orders = list(db.orders.find({"customer": customer}, {"_id": 0}))
    return jsonify(orders)
