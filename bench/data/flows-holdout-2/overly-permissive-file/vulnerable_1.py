# expect: overly-permissive-file line 13
import datetime
import os

REPORT_DIR = "/srv/shared/reports"


def publish_report(report_text):
    today = datetime.date.today().isoformat()
    path = os.path.join(REPORT_DIR, f"daily-{today}.txt")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(report_text)
    os.chmod(path, 0o777)
    return path


if __name__ == "__main__":
    print(publish_report("all systems nominal\n"))
