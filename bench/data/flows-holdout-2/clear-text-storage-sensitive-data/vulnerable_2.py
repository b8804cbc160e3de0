# expect: clear-text-storage-sensitive-data line 13
import getpass
import json
from pathlib import Path

CONFIG_PATH = Path.home() / ".deploytool" / "credentials.json"


def save_credentials(username, password):
    CONFIG_PATH.parent.mkdir(parents=True, exist_ok=True)
    data = {"username": username, "password": password}
    with open(CONFIG_PATH, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)


def main():
    username = input("Registry username: ").strip()
    password = getpass.getpass("Registry password: ")
    save_credentials(username, password)
    print(f"Saved credentials to {CONFIG_PATH}")


if __name__ == "__main__":
    main()
