# expect: none
# safe: certificates are verified against the internal CA bundle
import os

import requests

STATUS_URL = "https://internal-api.example.com/status"
CA_BUNDLE = "/etc/ssl/certs/internal-ca.pem"


def get_status():
    headers = {"Authorization": "Bearer " + os.environ["API_TOKEN"]}
    resp = requests.get(STATUS_URL, headers=headers, verify=CA_BUNDLE, timeout=10)
    resp.raise_for_status()
    return resp.json()
