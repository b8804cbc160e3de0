# expect: none
# safe: Path.resolve + is_relative_to: a name that climbs out of BASE_DIR is refused
from pathlib import Path

BASE_DIR = Path("/var/data/reports")


def read_report(name):
    """Return the text of the report called `name`."""
    base = BASE_DIR.resolve()
    report = (base / name).resolve()
    if not report.is_relative_to(base):
        raise ValueError(f"report {name!r} is outside {base}")
    with open(report, encoding="utf-8") as f:
        return f.read()
