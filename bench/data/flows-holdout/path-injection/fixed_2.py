# expect: none
# safe: the resolved path is checked with is_relative_to against the base directory
import sys
from pathlib import Path

BASE_DIR = Path("/home/app/data").resolve()


def read_user_file(filename):
    target = (BASE_DIR / filename).resolve()
    if not target.is_relative_to(BASE_DIR):
        raise ValueError("file is outside the data directory")
    with open(target, "r") as f:
        return f.read()


if __name__ == "__main__":
    name = sys.argv[1]
    print(read_user_file(name))
