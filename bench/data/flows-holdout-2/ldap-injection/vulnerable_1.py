# expect: ldap-injection line 17, 18
import os

import ldap
from flask import Flask, jsonify, request

app = Flask(__name__)
LDAP_URI = os.environ.get("LDAP_URI", "ldaps://ldap.example.com")
BASE_DN = "ou=people,dc=example,dc=com"


@app.route("/directory/lookup")
def lookup():
    uid = request.args.get("uid", "")
    conn = ldap.initialize(LDAP_URI)
    conn.simple_bind_s(os.environ["LDAP_BIND_DN"], os.environ["LDAP_BIND_PASSWORD"])
    search_filter = "(&(objectClass=inetOrgPerson)(uid=%s))" % uid
    results = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, search_filter, ["cn", "mail"])
    conn.unbind_s()
    people = []
    for dn, attrs in results:
        people.append({"dn": dn, "cn": attrs.get("cn", [b""])[0].decode()})
    return jsonify(people)
