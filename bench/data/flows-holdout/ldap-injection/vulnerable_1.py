# expect: ldap-injection line 12, 13
import ldap
from flask import Flask, request

app = Flask(__name__)


@app.route("/lookup")
def lookup():
    username = request.args.get("username", "")
    conn = ldap.initialize("ldaps://ldap.example.com")
    search_filter = "(uid=" + username + ")"
    results = conn.search_s("ou=people,dc=example,dc=com", ldap.SCOPE_SUBTREE, search_filter, ["cn", "mail"])
    return {"found": len(results)}
