# expect: overly-permissive-file line 8
import os


def save_notes(path, notes):
    with open(path, "w", encoding="utf-8") as f:
        f.write(notes)
    os.chmod(path, 0o777)
