# expect: request-without-cert-validation line 6
import requests


def fetch_status(url):
    response = requests.get(url, verify=False, timeout=10)
    response.raise_for_status()
    return response.json()["status"]
