"""A small module with the mistakes small models make; `make demo` repairs it."""

import hashlib
import pickle
import subprocess


def run_command(user_input):
    result = subprocess.run(user_input, shell=True, capture_output=True, text=True)
    return result.stdout


def load_session(data):
    return pickle.loads(data)


def hash_password(password):
    return hashlib.md5(password.encode()).hexdigest()

