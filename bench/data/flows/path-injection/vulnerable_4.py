# expect: path-injection line 13
import os
import sys

CACHE_DIR = os.path.expanduser("~/.cache/thumbs")


def main():
    if len(sys.argv) != 2:
        print("usage: clear_thumb.py NAME")
        return 1
    target = os.path.join(CACHE_DIR, sys.argv[1])
    os.remove(target)
    print(f"removed {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
