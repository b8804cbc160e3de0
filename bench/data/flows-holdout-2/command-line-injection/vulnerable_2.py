# expect: command-line-injection line 7, 8
import os
import sys


def disk_usage(directory):
    command = f"du -sh {directory}"
    with os.popen(command) as pipe:
        return pipe.read().strip()


def main():
    if len(sys.argv) < 2:
        print("usage: du_report.py DIRECTORY [DIRECTORY ...]")
        sys.exit(1)
    for target in sys.argv[1:]:
        print(disk_usage(target))


if __name__ == "__main__":
    main()
