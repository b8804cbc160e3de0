# expect: none
# safe: tempfile.mkstemp creates and opens the file atomically
import csv
import os
import tempfile


def write_report(rows):
    fd, path = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "total"])
        writer.writerows(rows)
    return path
