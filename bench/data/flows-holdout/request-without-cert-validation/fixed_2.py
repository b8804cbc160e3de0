# expect: none
# safe: the default context keeps hostname checking and CERT_REQUIRED
import json
import ssl
import urllib.request


def download_report(report_id):
    ctx = ssl.create_default_context()
    url = "https://reports.example.com/api/reports/%d" % int(report_id)
    with urllib.request.urlopen(url, context=ctx, timeout=10) as resp:
        return json.loads(resp.read())
