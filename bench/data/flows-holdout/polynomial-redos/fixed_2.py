# expect: none
# safe: no nested quantifiers in the pattern and the input length is capped
import re

EMAIL_PATTERN = re.compile(r"[a-zA-Z0-9_.+-]+@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}")


def is_valid_email(email):
    if len(email) > 254:
        return False
    return EMAIL_PATTERN.fullmatch(email) is not None


if __name__ == "__main__":
    address = input("Email: ")
    print("valid" if is_valid_email(address) else "invalid")
