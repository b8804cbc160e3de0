# expect: ldap-injection line 11
import os
import sys

from ldap3 import ALL, Connection, Server

GROUPS_BASE = "ou=groups,dc=corp,dc=local"


def user_groups(conn, username):
    conn.search(GROUPS_BASE, f"(&(objectClass=groupOfNames)(member=uid={username},ou=people,dc=corp,dc=local))", attributes=["cn"])
    return [entry.cn.value for entry in conn.entries]


def main():
    server = Server(os.environ["LDAP_HOST"], get_info=ALL, use_ssl=True)
    conn = Connection(server, user=os.environ["LDAP_BIND_DN"], password=os.environ["LDAP_BIND_PASSWORD"], auto_bind=True)
    username = sys.argv[1]
    for group in user_groups(conn, username):
        print(group)


if __name__ == "__main__":
    main()
