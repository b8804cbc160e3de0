# expect: none
# safe: grep runs from an argument list without a shell, the keyword after --
import subprocess


def search_logs(keyword):
    result = subprocess.run(
        ["grep", "-n", "--", keyword, "/var/log/app.log"],
        capture_output=True,
        text=True,
    )
    return result.stdout


if __name__ == "__main__":
    term = input("Search for: ")
    print(search_logs(term))
