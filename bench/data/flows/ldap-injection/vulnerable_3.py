# expect: ldap-injection line 8
from ldap3 import ALL, Connection, Server


def find_by_email(email):
    server = Server("ldap.example.com", get_info=ALL)
    conn = Connection(server, auto_bind=True)
    conn.search("dc=example,dc=com", "(&(objectClass=person)(mail=" + email + "))", attributes=["cn"])
    return [entry.cn.value for entry in conn.entries]
