# expect: reflective-xss line 10
from flask import Flask, request

app = Flask(__name__)


@app.route("/hello")
def hello():
    name = request.args.get("name", "guest")
    return "<h1>Hello, " + name + "!</h1>"
