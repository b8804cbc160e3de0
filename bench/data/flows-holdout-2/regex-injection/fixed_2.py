# expect: none
# safe: level escaped with re.escape (and checked against known levels) before building the pattern
import re

LOG_FILE = "/var/log/app/service.log"
LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


def filter_log_lines(path, level):
    matcher = re.compile(rf"^{re.escape(level)}\s+\d{{4}}-\d{{2}}-\d{{2}}")
    results = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if matcher.match(line):
                results.append(line.rstrip("\n"))
    return results


def main():
    level = input("Log level (e.g. ERROR): ").strip().upper()
    if level not in LEVELS:
        print("unknown level")
        return
    for line in filter_log_lines(LOG_FILE, level):
        print(line)


if __name__ == "__main__":
    main()
