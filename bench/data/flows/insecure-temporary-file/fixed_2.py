# expect: none
# safe: NamedTemporaryFile picks an unpredictable name and creates it exclusively
import tempfile
import webbrowser


def show_report(html):
    with tempfile.NamedTemporaryFile("w", suffix=".html", encoding="utf-8", delete=False) as f:
        f.write(html)
    webbrowser.open(f"file://{f.name}")
