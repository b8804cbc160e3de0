# expect: none
# safe: ldap.filter.escape_filter_chars escapes *, (, ) and \ in the user name
import ldap
import ldap.filter
from flask import Flask, jsonify, request

app = Flask(__name__)
BASE_DN = "ou=people,dc=example,dc=com"


@app.route("/directory")
def directory():
    username = ldap.filter.escape_filter_chars(request.args["username"])
    conn = ldap.initialize("ldap://ldap.example.com")
    results = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, f"(uid={username})", ["cn", "mail"])
    return jsonify([attrs["mail"][0].decode() for _, attrs in results])
