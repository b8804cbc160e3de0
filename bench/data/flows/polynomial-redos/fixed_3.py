# expect: none
# safe: the dot is required between numbers (\d+(?:\.\d+)*), so the pattern cannot backtrack exponentially
import re
import sys

VERSION = re.compile(r"^\d+(?:\.\d+)*$")


def check_version(value):
    if not VERSION.match(value):
        raise SystemExit(f"bad version: {value}")
    return tuple(int(part) for part in value.split("."))


if __name__ == "__main__":
    print(check_version(sys.argv[1]))
