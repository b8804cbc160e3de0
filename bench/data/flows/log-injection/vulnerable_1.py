# expect: log-injection line 10
from flask import Flask, request

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    username = request.form.get("username", "")
    app.logger.info("Login attempt for user %s" % username)
    return {"ok": True}
