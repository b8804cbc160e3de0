# expect: none
# safe: ssl.create_default_context verifies the certificate and host name
import json
import ssl
import urllib.request


def get_json(url):
    context = ssl.create_default_context()
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        return json.load(response)
