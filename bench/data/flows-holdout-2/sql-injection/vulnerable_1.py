# expect: sql-injection line 20, 21
import sqlite3

from flask import Flask, g, jsonify, request

app = Flask(__name__)
DATABASE = "inventory.db"


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(DATABASE)
    return g.db


@app.route("/products")
def search_products():
    category = request.args.get("category", "")
    sort = request.args.get("sort", "name")
    query = f"SELECT id, name, price FROM products WHERE category = '{category}' ORDER BY {sort}"
    rows = get_db().execute(query).fetchall()
    return jsonify([{"id": r[0], "name": r[1], "price": r[2]} for r in rows])
