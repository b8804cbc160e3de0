# expect: polynomial-redos line 4, 8
import re

EMAIL_PATTERN = re.compile(r"^([a-zA-Z0-9_.+-]+)+@([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}$")


def is_valid_email(email):
    return EMAIL_PATTERN.match(email) is not None


if __name__ == "__main__":
    address = input("Email: ")
    print("valid" if is_valid_email(address) else "invalid")
