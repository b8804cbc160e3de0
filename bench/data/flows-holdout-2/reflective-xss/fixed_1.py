# expect: none
# safe: path and query values HTML-escaped with markupsafe.escape before being put into the page
from flask import Flask, request
from markupsafe import escape

app = Flask(__name__)


@app.route("/greet/<name>")
def greet(name):
    visits = request.args.get("visits", "1")
    display_name = escape(name.title())
    return f"<html><body><h2>Welcome back, {display_name}!</h2><p>Visit number {escape(visits)}</p></body></html>"


@app.route("/health")
def health():
    return "ok"
