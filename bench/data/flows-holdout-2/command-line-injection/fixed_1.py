# expect: none
# safe: host validated (IP or hostname charset), count parsed as int in range, subprocess.run with an argument list and no shell
import ipaddress
import re
import subprocess

from flask import Flask, abort, jsonify, request

app = Flask(__name__)
HOSTNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$")


def is_valid_host(host):
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return HOSTNAME_RE.match(host) is not None


@app.route("/api/ping")
def ping_host():
    host = request.args.get("host", "127.0.0.1")
    try:
        count = int(request.args.get("count", "3"))
    except ValueError:
        abort(400)
    if not is_valid_host(host) or not 1 <= count <= 10:
        abort(400)
    result = subprocess.run(["ping", "-c", str(count), host], capture_output=True, text=True, timeout=30)
    return jsonify({"returncode": result.returncode, "output": result.stdout})
