# expect: none
# safe: the script is made executable for its owner only (0o700)
import os


def install_script(path, content):
    with open(path, "w") as f:
        f.write(content)
    os.chmod(path, 0o700)
    return path


if __name__ == "__main__":
    install_script("/usr/local/bin/backup.sh", "#!/bin/sh\ntar -czf /backup/home.tgz /home\n")
