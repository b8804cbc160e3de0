# expect: none
# safe: argument checked to be a directory and passed to subprocess as a list after '--', no shell
import subprocess
import sys
from pathlib import Path


def disk_usage(directory):
    path = Path(directory)
    if not path.is_dir():
        raise ValueError(f"not a directory: {directory}")
    output = subprocess.check_output(["du", "-sh", "--", str(path)], text=True)
    return output.strip()


def main():
    if len(sys.argv) < 2:
        print("usage: du_report.py DIRECTORY [DIRECTORY ...]")
        sys.exit(1)
    for target in sys.argv[1:]:
        try:
            print(disk_usage(target))
        except (ValueError, subprocess.CalledProcessError) as exc:
            print(f"error: {exc}", file=sys.stderr)


if __name__ == "__main__":
    main()
