# expect: ldap-injection line 13
import ldap
from flask import Flask, jsonify, request

app = Flask(__name__)
BASE_DN = "ou=people,dc=example,dc=com"


@app.route("/directory")
def directory():
    username = request.args["username"]
    conn = ldap.initialize("ldap://ldap.example.com")
    results = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, f"(uid={username})", ["cn", "mail"])
    return jsonify([attrs["mail"][0].decode() for _, attrs in results])
