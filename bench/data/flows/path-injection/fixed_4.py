# expect: none
# safe: realpath + startswith on the resolved base directory (with a trailing separator)
import os
import sys

CACHE_DIR = os.path.expanduser("~/.cache/thumbs")


def main():
    if len(sys.argv) != 2:
        print("usage: clear_thumb.py NAME")
        return 1
    base = os.path.realpath(CACHE_DIR)
    target = os.path.realpath(os.path.join(base, sys.argv[1]))
    if not target.startswith(base + os.sep):
        print(f"refusing to remove {target}: not inside {base}")
        return 1
    os.remove(target)
    print(f"removed {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
