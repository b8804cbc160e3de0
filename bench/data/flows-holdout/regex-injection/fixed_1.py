# expect: none
# safe: re.escape makes the user text a literal pattern
import re

from flask import Flask, request

app = Flask(__name__)
NAMES = ["alice", "bob", "carol", "dave", "erin"]


@app.route("/filter")
def filter_names():
    pattern = request.args.get("pattern", "")
    matches = [n for n in NAMES if re.search(re.escape(pattern), n)]
    return {"matches": matches}
