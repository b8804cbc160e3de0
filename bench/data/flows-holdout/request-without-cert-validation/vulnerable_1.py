# expect: request-without-cert-validation line 11
import os

import requests

STATUS_URL = "https://internal-api.example.com/status"


def get_status():
    headers = {"Authorization": "Bearer " + os.environ["API_TOKEN"]}
    resp = requests.get(STATUS_URL, headers=headers, verify=False, timeout=10)
    resp.raise_for_status()
    return resp.json()
