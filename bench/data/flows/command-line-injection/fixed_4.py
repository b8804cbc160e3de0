# expect: none
# safe: the command is an argument list, so no shell interprets the domain
import subprocess

from django.http import JsonResponse


def dns_lookup(request):
    domain = request.GET.get("domain", "")
    output = subprocess.check_output(["nslookup", domain])
    return JsonResponse({"result": output.decode()})
