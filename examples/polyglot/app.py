import hashlib
import subprocess


def run(cmd):
    return subprocess.run(cmd, shell=True)


def digest(data):
    return hashlib.md5(data).hexdigest()
