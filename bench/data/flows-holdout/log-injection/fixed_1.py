# expect: none
# safe: CR and LF are stripped from the term before it is logged
from flask import Flask, request

app = Flask(__name__)


@app.route("/search")
def search():
    term = request.args.get("q", "")
    clean_term = term.replace("\r", "").replace("\n", "")
    app.logger.info("User searched for: %s", clean_term)
    return {"results": []}
