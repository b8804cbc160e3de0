# expect: request-without-cert-validation line 9, 10
import json
import ssl
import urllib.request


def download_report(report_id):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    url = "https://reports.example.com/api/reports/%d" % int(report_id)
    with urllib.request.urlopen(url, context=ctx, timeout=10) as resp:
        return json.loads(resp.read())
