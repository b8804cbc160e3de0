# expect: none
# safe: user name and API token are read from environment variables
import os

import requests


def list_builds(job):
    response = requests.get(f"https://ci.example.com/job/{job}/api/json",
                            auth=(os.environ["CI_USER"], os.environ["CI_TOKEN"]), timeout=10)
    return [b["number"] for b in response.json()["builds"]]
