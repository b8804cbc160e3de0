# expect: polynomial-redos line 14
import re

from flask import Flask, jsonify, request

from newsletter import add_subscriber

app = Flask(__name__)


@app.route("/newsletter/subscribe", methods=["POST"])
def subscribe():
    email = request.form.get("email", "").strip()
    if not re.match(r"^([a-zA-Z0-9]+[._-]?)*[a-zA-Z0-9]+@example\.com$", email):
        return jsonify({"error": "only example.com addresses may subscribe"}), 400
    add_subscriber(email)
    return jsonify({"subscribed": True})
