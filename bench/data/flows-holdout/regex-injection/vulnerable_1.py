# expect: regex-injection line 13
import re

from flask import Flask, request

app = Flask(__name__)
NAMES = ["alice", "bob", "carol", "dave", "erin"]


@app.route("/filter")
def filter_names():
    pattern = request.args.get("pattern", "")
    matches = [n for n in NAMES if re.search(pattern, n)]
    return {"matches": matches}
