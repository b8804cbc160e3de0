# expect: clear-text-storage-sensitive-data line 13
import json


def save_user(username, password, path="users.json"):
    try:
        with open(path) as f:
            users = json.load(f)
    except FileNotFoundError:
        users = {}
    users[username] = {"password": password}
    with open(path, "w") as f:
        json.dump(users, f)
