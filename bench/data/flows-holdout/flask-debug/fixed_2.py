# expect: none
# safe: the Werkzeug debugger and reloader are turned off
from flask import Flask, request
from werkzeug.serving import run_simple

app = Flask(__name__)


@app.route("/echo", methods=["POST"])
def echo():
    return {"length": len(request.get_data())}


if __name__ == "__main__":
    run_simple("127.0.0.1", 8000, app, use_reloader=False, use_debugger=False)
