# expect: regex-injection line 8, 12
import re

LOG_FILE = "/var/log/app/service.log"


def filter_log_lines(path, level):
    matcher = rf"^{level}\s+\d{{4}}-\d{{2}}-\d{{2}}"
    results = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if re.match(matcher, line):
                results.append(line.rstrip("\n"))
    return results


def main():
    level = input("Log level (e.g. ERROR): ").strip()
    for line in filter_log_lines(LOG_FILE, level):
        print(line)


if __name__ == "__main__":
    main()
