"""A Flask app of the kind a completion lands in: the dataflow analyzer's timing snippet."""
import os
import sqlite3
import subprocess

from flask import Flask, abort, request, send_file

app = Flask(__name__)
BASE = "/srv/files"
DB = "app.db"

def get_db():
    return sqlite3.connect(DB)


def find_user(conn, name):
    cur = conn.cursor()
    cur.execute("SELECT id, email FROM users WHERE name = ?", (name,))
    return cur.fetchone()


@app.route("/user")
def user():
    row = find_user(get_db(), request.args.get("name", ""))
    if row is None:
        abort(404)
    return {"id": row[0], "email": row[1]}


@app.route("/download")
def download():
    filename = request.args.get("file", "")
    path = os.path.realpath(os.path.join(BASE, filename))
    if not path.startswith(BASE + os.sep):
        abort(403)
    return send_file(path)


@app.route("/ping")
def ping():
    host = request.args.get("host", "127.0.0.1")
    result = subprocess.run(["ping", "-c", "1", host], capture_output=True, text=True)
    return {"ok": result.returncode == 0, "out": result.stdout[:200]}


@app.route("/orders")
def orders():
    status = request.args.get("status", "open")
    rows = get_db().execute(f"SELECT * FROM orders WHERE status = '{status}'").fetchall()
    return {"orders": [dict(r) for r in rows]}
