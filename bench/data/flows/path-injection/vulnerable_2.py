# expect: path-injection line 10
from pathlib import Path

BASE_DIR = Path("/var/data/reports")


def read_report(name):
    """Return the text of the report called `name`."""
    report = BASE_DIR / name
    with open(report, encoding="utf-8") as f:
        return f.read()
