# expect: command-line-injection line 11
import subprocess
from flask import Flask, request

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args.get("host", "")
    output = subprocess.check_output(f"ping -c 1 {host}", shell=True)
    return {"output": output.decode()}
