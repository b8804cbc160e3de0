# expect: none
# safe: subprocess.run with an argument list (no shell), and "--" before the user's path
import os
import subprocess
import sys


def backup(directory):
    archive = os.path.basename(directory.rstrip("/")) + ".tar.gz"
    result = subprocess.run(["tar", "czf", archive, "--", directory], capture_output=True, text=True, check=True)
    output = result.stdout
    return archive, output


if __name__ == "__main__":
    name, log = backup(sys.argv[1])
    print(f"wrote {name}")
