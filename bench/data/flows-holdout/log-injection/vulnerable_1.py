# expect: log-injection line 10
from flask import Flask, request

app = Flask(__name__)


@app.route("/search")
def search():
    term = request.args.get("q", "")
    app.logger.info("User searched for: %s", term)
    return {"results": []}
