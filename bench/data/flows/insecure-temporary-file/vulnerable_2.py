# expect: insecure-temporary-file line 6, 7
import webbrowser


def show_report(html):
    path = "/tmp/report.html"
    with open(path, "w", encoding="utf-8") as f:
        f.write(html)
    webbrowser.open(f"file://{path}")
