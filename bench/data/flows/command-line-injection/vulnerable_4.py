# expect: command-line-injection line 9
import subprocess

from django.http import JsonResponse


def dns_lookup(request):
    domain = request.GET.get("domain", "")
    output = subprocess.check_output("nslookup %s" % domain, shell=True)
    return JsonResponse({"result": output.decode()})
