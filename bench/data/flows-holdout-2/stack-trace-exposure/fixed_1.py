# expect: none
# safe: traceback logged server-side with logger.exception; client receives a generic error message
import logging

from flask import Flask, jsonify

from reports import generate_report

app = Flask(__name__)
logger = logging.getLogger(__name__)


@app.route("/api/reports/<int:report_id>")
def get_report(report_id):
    try:
        report = generate_report(report_id)
        return jsonify(report)
    except Exception:
        logger.exception("report generation failed for %d", report_id)
        return jsonify({"error": "internal server error"}), 500
