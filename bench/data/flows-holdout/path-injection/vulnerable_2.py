# expect: path-injection line 7
import sys


def read_user_file(filename):
    base_dir = "/home/app/data/"
    with open(base_dir + filename, "r") as f:
        return f.read()


if __name__ == "__main__":
    name = sys.argv[1]
    print(read_user_file(name))
