# expect: request-without-cert-validation line 8
import json
import ssl
import urllib.request


def get_json(url):
    context = ssl._create_unverified_context()
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        return json.load(response)
