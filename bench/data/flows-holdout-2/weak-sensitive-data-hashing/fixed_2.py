# expect: none
# safe: hashlib.scrypt with a random per-user salt; constant-time comparison on verify
import getpass
import hashlib
import hmac
import os

USERS_FILE = "users.txt"


def hash_password(password: str, salt: bytes) -> str:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1).hex()


def check_password(password: str, salt_hex: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt_hex)), stored_hash)


def main():
    username = input("New username: ").strip()
    pw = getpass.getpass("New password: ")
    if pw != getpass.getpass("Confirm password: "):
        raise SystemExit("passwords do not match")
    salt = os.urandom(16)
    with open(USERS_FILE, "a", encoding="utf-8") as fh:
        fh.write(f"{username}:{salt.hex()}:{hash_password(pw, salt)}\n")


if __name__ == "__main__":
    main()
