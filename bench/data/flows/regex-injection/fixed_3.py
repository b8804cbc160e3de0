# expect: none
# safe: re.escape: the filter is matched as literal text
import re
import sys


def grep(path, expression):
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if re.search(re.escape(expression), line):
                print(f"{number}: {line}", end="")


if __name__ == "__main__":
    grep(sys.argv[1], input("Filter: "))
