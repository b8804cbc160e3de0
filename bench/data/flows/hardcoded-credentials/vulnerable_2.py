# expect: hardcoded-credentials line 7
import requests


def list_builds(job):
    response = requests.get(f"https://ci.example.com/job/{job}/api/json",
                            auth=("admin", "hunter2"), timeout=10)
    return [b["number"] for b in response.json()["builds"]]
