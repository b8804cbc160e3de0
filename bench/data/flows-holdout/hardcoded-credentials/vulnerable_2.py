# expect: hardcoded-credentials line 4
import requests

GITHUB_TOKEN = "ghp_4f9b2c7d1e8a6f3b0c5d9e2a7f1b4c8d6e3a"
ORG = "example-org"


def list_repos():
    headers = {"Authorization": f"token {GITHUB_TOKEN}"}
    resp = requests.get(f"https://api.github.com/orgs/{ORG}/repos", headers=headers, timeout=10)
    resp.raise_for_status()
    return [repo["name"] for repo in resp.json()]
