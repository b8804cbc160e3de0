# expect: none
# safe: input length capped and the pattern has no nested/ambiguous quantifiers
import re

from flask import Flask, jsonify, request

from newsletter import add_subscriber

app = Flask(__name__)
EMAIL_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}@example\.com$")


@app.route("/newsletter/subscribe", methods=["POST"])
def subscribe():
    email = request.form.get("email", "").strip()
    if len(email) > 80 or not EMAIL_RE.match(email):
        return jsonify({"error": "only example.com addresses may subscribe"}), 400
    add_subscriber(email)
    return jsonify({"subscribed": True})
