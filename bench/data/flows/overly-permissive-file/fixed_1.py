# expect: none
# safe: mode 0o600, readable and writable by the owner only
import os


def save_notes(path, notes):
    with open(path, "w", encoding="utf-8") as f:
        f.write(notes)
    os.chmod(path, 0o600)
