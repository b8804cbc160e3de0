# expect: regex-injection line 9
import re
import sys


def grep(path, expression):
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if re.search(expression, line):
                print(f"{number}: {line}", end="")


if __name__ == "__main__":
    grep(sys.argv[1], input("Filter: "))
