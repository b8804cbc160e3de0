# expect: none
# safe: app.run without debug (debugger and reloader off)
from flask import Flask, jsonify

app = Flask(__name__)
ITEMS = [{"id": 1, "name": "keyboard"}, {"id": 2, "name": "mouse"}]


@app.route("/health")
def health():
    return jsonify({"status": "ok"})


@app.route("/api/items")
def list_items():
    return jsonify(ITEMS)


if __name__ == "__main__":
    app.run()
