# expect: weak-sensitive-data-hashing line 10
import getpass
import hashlib
import hmac

USERS_FILE = "users.txt"


def hash_password(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def check_password(password: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_password(password), stored_hash)


def main():
    username = input("New username: ").strip()
    pw = getpass.getpass("New password: ")
    if pw != getpass.getpass("Confirm password: "):
        raise SystemExit("passwords do not match")
    with open(USERS_FILE, "a", encoding="utf-8") as fh:
        fh.write(f"{username}:{hash_password(pw)}\n")


if __name__ == "__main__":
    main()
