# expect: ssrf line 7
import requests


def get_user_repos(username):
    """The names of a GitHub user's public repositories."""
    response = requests.get(f"https://api.github.com/users/{username}/repos", timeout=10)
    response.raise_for_status()
    return [repo["name"] for repo in response.json()]
