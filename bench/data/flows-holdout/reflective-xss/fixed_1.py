# expect: none
# safe: html.escape encodes the name before it is put into the HTML
import html

from flask import Flask, request

app = Flask(__name__)


@app.route("/hello")
def hello():
    name = request.args.get("name", "guest")
    return "<h1>Hello, " + html.escape(name) + "!</h1>"
