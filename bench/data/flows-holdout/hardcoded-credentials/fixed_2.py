# expect: none
# safe: the API token is read from the GITHUB_TOKEN environment variable
import os

import requests

ORG = "example-org"


def list_repos():
    headers = {"Authorization": f"token {os.environ['GITHUB_TOKEN']}"}
    resp = requests.get(f"https://api.github.com/orgs/{ORG}/repos", headers=headers, timeout=10)
    resp.raise_for_status()
    return [repo["name"] for repo in resp.json()]
