# expect: none
# safe: client names a service; the host comes from a server-side mapping, never from the request
import urllib.request

from fastapi import FastAPI, HTTPException

app = FastAPI()
SERVICE_HOSTS = {
    "billing": "billing.internal.example.net",
    "search": "search.internal.example.net",
    "auth": "auth.internal.example.net",
}


@app.get("/health-check")
def health_check(service: str):
    host = SERVICE_HOSTS.get(service)
    if host is None:
        raise HTTPException(status_code=400, detail="unknown service")
    url = f"https://{host}/healthz"
    with urllib.request.urlopen(url, timeout=5) as resp:
        status = resp.status
        body = resp.read(2048).decode("utf-8", errors="replace")
    return {"service": service, "status": status, "body": body}
