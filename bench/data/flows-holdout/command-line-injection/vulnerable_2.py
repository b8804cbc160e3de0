# expect: command-line-injection line 6, 7
import os


def search_logs(keyword):
    cmd = "grep -n '%s' /var/log/app.log" % keyword
    return os.popen(cmd).read()


if __name__ == "__main__":
    term = input("Search for: ")
    print(search_logs(term))
