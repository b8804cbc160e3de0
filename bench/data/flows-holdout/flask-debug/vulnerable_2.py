# expect: flask-debug line 14
from flask import Flask, request
from werkzeug.serving import run_simple

app = Flask(__name__)


@app.route("/echo", methods=["POST"])
def echo():
    return {"length": len(request.get_data())}


if __name__ == "__main__":
    run_simple("127.0.0.1", 8000, app, use_reloader=True, use_debugger=True)
