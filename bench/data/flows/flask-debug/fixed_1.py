# expect: none
# safe: the app runs without debug mode (no Werkzeug debugger console)
from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "Hello, World!"


if __name__ == "__main__":
    app.run()
