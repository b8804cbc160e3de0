import hashlib
import pickle
import subprocess


def run(cmd, blob, expr):
    subprocess.run(cmd, shell=True)
    data = pickle.loads(blob)
    value = eval(expr)
    digest = hashlib.md5(blob).hexdigest()
    return data, value, digest
