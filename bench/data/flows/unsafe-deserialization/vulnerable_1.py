# expect: unsafe-deserialization line 11
import pickle

from flask import Flask, request

app = Flask(__name__)


@app.route("/session", methods=["POST"])
def load_session():
    session = pickle.loads(request.get_data())
    return {"user": session["user"]}
