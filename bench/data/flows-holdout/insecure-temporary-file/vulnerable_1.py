# expect: insecure-temporary-file line 7
import csv
import tempfile


def write_report(rows):
    path = tempfile.mktemp(suffix=".csv")
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "total"])
        writer.writerows(rows)
    return path
