# expect: none
# safe: the trace goes to the server log (logger.exception); the client gets a generic message
from flask import Flask, jsonify

app = Flask(__name__)


def compute_report():
    raise RuntimeError("database unavailable")


@app.route("/report")
def report():
    try:
        return jsonify(compute_report())
    except Exception:
        app.logger.exception("report failed")
        return "internal error", 500
