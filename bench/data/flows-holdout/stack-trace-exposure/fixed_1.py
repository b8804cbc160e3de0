# expect: none
# safe: the traceback is logged on the server and the client gets a generic message
from flask import Flask, request

app = Flask(__name__)


@app.route("/divide")
def divide():
    try:
        a = int(request.args["a"])
        b = int(request.args["b"])
        return {"result": a / b}
    except Exception:
        app.logger.exception("divide failed")
        return {"error": "could not compute the result"}, 500
