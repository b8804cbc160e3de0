# expect: none
# safe: username validated against a strict pattern, RDN escaped with escape_rdn and the DN escaped with escape_filter_chars
import os
import re
import sys

from ldap3 import ALL, Connection, Server
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

GROUPS_BASE = "ou=groups,dc=corp,dc=local"
USERNAME_RE = re.compile(r"^[a-z0-9._-]{1,64}$")


def user_groups(conn, username):
    member_dn = f"uid={escape_rdn(username)},ou=people,dc=corp,dc=local"
    search_filter = f"(&(objectClass=groupOfNames)(member={escape_filter_chars(member_dn)}))"
    conn.search(GROUPS_BASE, search_filter, attributes=["cn"])
    return [entry.cn.value for entry in conn.entries]


def main():
    username = sys.argv[1]
    if not USERNAME_RE.match(username):
        sys.exit("invalid username")
    server = Server(os.environ["LDAP_HOST"], get_info=ALL, use_ssl=True)
    conn = Connection(server, user=os.environ["LDAP_BIND_DN"], password=os.environ["LDAP_BIND_PASSWORD"], auto_bind=True)
    for group in user_groups(conn, username):
        print(group)


if __name__ == "__main__":
    main()
