# expect: none
# safe: CR and LF are removed from the user name before it is logged, so it cannot forge log lines
from flask import Flask, request

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    username = request.form.get("username", "")
    clean = username.replace("\r", "").replace("\n", "")
    app.logger.info("Login attempt for user %s" % clean)
    return {"ok": True}
