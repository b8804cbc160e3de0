# expect: none
# safe: argument list without a shell, host checked against a hostname pattern
import re
import subprocess
from flask import Flask, request

app = Flask(__name__)
HOST_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}")


@app.route("/ping")
def ping():
    host = request.args.get("host", "")
    if not HOST_RE.fullmatch(host):
        return {"error": "invalid host"}, 400
    result = subprocess.run(["ping", "-c", "1", host], capture_output=True, text=True, timeout=10)
    return {"output": result.stdout}
