# expect: clear-text-storage-sensitive-data line 5
def save_credentials(username, password, path="credentials.txt"):
    """Append a user's credentials to the credentials file."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{username}:{password}\n")
