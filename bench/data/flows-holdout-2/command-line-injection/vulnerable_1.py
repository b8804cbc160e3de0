# expect: command-line-injection line 13, 14
import subprocess

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/api/ping")
def ping_host():
    host = request.args.get("host", "127.0.0.1")
    count = request.args.get("count", "3")
    cmd = "ping -c {} {}".format(count, host)
    result = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30)
    return jsonify({"returncode": result.returncode, "output": result.stdout})
