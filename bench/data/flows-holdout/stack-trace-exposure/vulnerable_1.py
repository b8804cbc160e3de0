# expect: stack-trace-exposure line 16
import traceback

from flask import Flask, request

app = Flask(__name__)


@app.route("/divide")
def divide():
    try:
        a = int(request.args["a"])
        b = int(request.args["b"])
        return {"result": a / b}
    except Exception:
        return traceback.format_exc(), 500
