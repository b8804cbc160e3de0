# expect: none
# safe: a bcrypt hash of the password is stored, not the password
import bcrypt


def save_credentials(username, password, path="credentials.txt"):
    """Append a user's credentials to the credentials file."""
    hashed = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{username}:{hashed}\n")
