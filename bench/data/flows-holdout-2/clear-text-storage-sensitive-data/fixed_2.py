# expect: none
# safe: password stored in the OS keyring via keyring.set_password; only the username goes into the JSON file
import getpass
import json
from pathlib import Path

import keyring

CONFIG_PATH = Path.home() / ".deploytool" / "config.json"
SERVICE_NAME = "deploytool-registry"


def save_credentials(username, password):
    CONFIG_PATH.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    keyring.set_password(SERVICE_NAME, username, password)
    with open(CONFIG_PATH, "w", encoding="utf-8") as fh:
        json.dump({"username": username}, fh, indent=2)


def main():
    username = input("Registry username: ").strip()
    password = getpass.getpass("Registry password: ")
    save_credentials(username, password)
    print(f"Saved username to {CONFIG_PATH}; password stored in system keyring")


if __name__ == "__main__":
    main()
