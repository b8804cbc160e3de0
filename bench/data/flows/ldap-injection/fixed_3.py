# expect: none
# safe: ldap3's escape_filter_chars on the e-mail before it goes into the filter
from ldap3 import ALL, Connection, Server
from ldap3.utils.conv import escape_filter_chars


def find_by_email(email):
    server = Server("ldap.example.com", get_info=ALL)
    conn = Connection(server, auto_bind=True)
    conn.search("dc=example,dc=com", "(&(objectClass=person)(mail=" + escape_filter_chars(email) + "))",
                attributes=["cn"])
    return [entry.cn.value for entry in conn.entries]
