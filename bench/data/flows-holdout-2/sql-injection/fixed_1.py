# expect: none
# safe: category bound as a ? parameter; ORDER BY column chosen from a fixed allow-list
import sqlite3

from flask import Flask, g, jsonify, request

app = Flask(__name__)
DATABASE = "inventory.db"
SORT_COLUMNS = {"name": "name", "price": "price", "newest": "created_at DESC"}


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(DATABASE)
    return g.db


@app.route("/products")
def search_products():
    category = request.args.get("category", "")
    order_by = SORT_COLUMNS.get(request.args.get("sort", "name"), "name")
    query = "SELECT id, name, price FROM products WHERE category = ? ORDER BY " + order_by
    rows = get_db().execute(query, (category,)).fetchall()
    return jsonify([{"id": r[0], "name": r[1], "price": r[2]} for r in rows])
