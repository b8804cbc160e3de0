# expect: none
# safe: debug stays off; it is enabled only by FLASK_DEBUG in a development shell, not in code
from flask import Flask, jsonify

app = Flask(__name__)

TODOS = []


@app.route("/todos")
def todos():
    return jsonify(TODOS)


if __name__ == "__main__":
    app.run(port=5001)
