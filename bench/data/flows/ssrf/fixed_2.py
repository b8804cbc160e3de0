# expect: none
# safe: the user name must fully match GitHub's user-name pattern before it becomes part of the URL path
import re

import requests

USERNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")


def get_user_repos(username):
    """The names of a GitHub user's public repositories."""
    if not USERNAME.fullmatch(username):
        raise ValueError(f"not a GitHub user name: {username!r}")
    response = requests.get(f"https://api.github.com/users/{username}/repos", timeout=10)
    response.raise_for_status()
    return [repo["name"] for repo in response.json()]
