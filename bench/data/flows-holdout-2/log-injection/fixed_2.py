# expect: none
# safe: search term and user agent have CR/LF escaped by clean() before logging
import logging

from fastapi import FastAPI, Request

app = FastAPI()
logging.basicConfig(level=logging.INFO)
audit_log = logging.getLogger("audit")


def clean(value: str) -> str:
    return value.replace("\r", "\\r").replace("\n", "\\n")


def record_search(client_ip: str, term: str, agent: str) -> None:
    audit_log.info("search from %s term=%s agent=%s", client_ip, clean(term), clean(agent))


@app.get("/search")
async def search(request: Request, q: str = ""):
    agent = request.headers.get("user-agent", "-")
    record_search(request.client.host, q, agent)
    return {"query": q, "results": []}
