# expect: reflective-xss line 11
from flask import Flask, request

app = Flask(__name__)


@app.route("/greet/<name>")
def greet(name):
    visits = request.args.get("visits", "1")
    display_name = name.title()
    return f"<html><body><h2>Welcome back, {display_name}!</h2><p>Visit number {visits}</p></body></html>"


@app.route("/health")
def health():
    return "ok"
