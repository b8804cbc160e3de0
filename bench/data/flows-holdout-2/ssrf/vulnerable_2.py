# expect: ssrf line 11, 12
import urllib.request

from fastapi import FastAPI

app = FastAPI()


@app.get("/health-check")
def health_check(host: str, port: int = 443):
    url = f"https://{host}:{port}/healthz"
    with urllib.request.urlopen(url, timeout=5) as resp:
        status = resp.status
        body = resp.read(2048).decode("utf-8", errors="replace")
    return {"host": host, "status": status, "body": body}
