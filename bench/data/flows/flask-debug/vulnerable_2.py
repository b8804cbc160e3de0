# expect: flask-debug line 5
from flask import Flask, jsonify

app = Flask(__name__)
app.debug = True

TODOS = []


@app.route("/todos")
def todos():
    return jsonify(TODOS)


if __name__ == "__main__":
    app.run(port=5001)
