import hashlib
import json
import subprocess


def run(args, blob, expr):
    subprocess.run(["ls", "-l", *args], check=True)
    data = json.loads(blob)
    value = int(expr)
    digest = hashlib.sha256(blob).hexdigest()
    return data, value, digest
