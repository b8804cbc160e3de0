# expect: none
# safe: ldap3's escape_filter_chars escapes the user value in the search filter
import os

from django.http import JsonResponse
from ldap3 import ALL, Connection, Server
from ldap3.utils.conv import escape_filter_chars


def user_email(request):
    username = request.GET.get("user", "")
    server = Server("ldaps://ldap.example.com", get_info=ALL)
    conn = Connection(server, user="cn=reader,dc=example,dc=com",
                      password=os.environ["LDAP_PASSWORD"], auto_bind=True)
    safe_name = escape_filter_chars(username)
    conn.search("dc=example,dc=com", f"(&(objectClass=person)(cn={safe_name}))", attributes=["mail"])
    emails = [str(entry.mail) for entry in conn.entries]
    return JsonResponse({"emails": emails})
