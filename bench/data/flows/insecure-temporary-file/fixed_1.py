# expect: none
# safe: tempfile.mkstemp creates the file atomically with mode 0o600
import csv
import os
import tempfile


def export_rows(rows):
    """Write rows to a temporary CSV file and return its path."""
    fd, path = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path
