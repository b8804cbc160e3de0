# expect: command-line-injection line 8
import os
import sys


def backup(directory):
    archive = os.path.basename(directory.rstrip("/")) + ".tar.gz"
    stream = os.popen("tar czf " + archive + " " + directory)
    output = stream.read()
    stream.close()
    return archive, output


if __name__ == "__main__":
    name, log = backup(sys.argv[1])
    print(f"wrote {name}")
