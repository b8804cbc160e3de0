# expect: ldap-injection line 13
import os

from django.http import JsonResponse
from ldap3 import ALL, Connection, Server


def user_email(request):
    username = request.GET.get("user", "")
    server = Server("ldaps://ldap.example.com", get_info=ALL)
    conn = Connection(server, user="cn=reader,dc=example,dc=com",
                      password=os.environ["LDAP_PASSWORD"], auto_bind=True)
    conn.search("dc=example,dc=com", f"(&(objectClass=person)(cn={username}))", attributes=["mail"])
    emails = [str(entry.mail) for entry in conn.entries]
    return JsonResponse({"emails": emails})
