# expect: none
# safe: a parameterized query with a ? placeholder for the customer
import sqlite3

from flask import Flask, g, jsonify, request

app = Flask(__name__)


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect("shop.db")
    return g.db


@app.route("/orders")
def orders():
    customer = request.args.get("customer", "")
    query = "SELECT id, total FROM orders WHERE customer = ? ORDER BY id"
    rows = get_db().execute(query, (customer,)).fetchall()
    return jsonify([{"id": r[0], "total": r[1]} for r in rows])
