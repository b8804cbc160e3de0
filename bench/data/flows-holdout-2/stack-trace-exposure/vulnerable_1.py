# expect: stack-trace-exposure line 18
import traceback

from flask import Flask, jsonify

from reports import generate_report

app = Flask(__name__)


@app.route("/api/reports/<int:report_id>")
def get_report(report_id):
    try:
        report = generate_report(report_id)
        return jsonify(report)
    except Exception:
        details = traceback.format_exc()
        return details, 500, {"Content-Type": "text/plain"}
