# expect: insecure-temporary-file line 8
import csv
import tempfile


def export_rows(rows):
    """Write rows to a temporary CSV file and return its path."""
    path = tempfile.mktemp(suffix=".csv")
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path
