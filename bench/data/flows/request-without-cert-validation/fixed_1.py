# expect: none
# safe: verify=True (requests' default): the server certificate is checked
import requests


def fetch_status(url):
    response = requests.get(url, verify=True, timeout=10)
    response.raise_for_status()
    return response.json()["status"]
