# expect: none
# safe: escape_filter_chars escapes the username before it goes into the filter
import ldap
from ldap.filter import escape_filter_chars
from flask import Flask, request

app = Flask(__name__)


@app.route("/lookup")
def lookup():
    username = request.args.get("username", "")
    conn = ldap.initialize("ldaps://ldap.example.com")
    search_filter = "(uid=%s)" % escape_filter_chars(username)
    results = conn.search_s("ou=people,dc=example,dc=com", ldap.SCOPE_SUBTREE, search_filter, ["cn", "mail"])
    return {"found": len(results)}
