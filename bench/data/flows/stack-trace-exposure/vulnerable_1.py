# expect: stack-trace-exposure line 18
import traceback

from flask import Flask, jsonify

app = Flask(__name__)


def compute_report():
    raise RuntimeError("database unavailable")


@app.route("/report")
def report():
    try:
        return jsonify(compute_report())
    except Exception:
        return traceback.format_exc(), 500
