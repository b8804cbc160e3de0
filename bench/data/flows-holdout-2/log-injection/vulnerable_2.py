# expect: log-injection line 12
import logging

from fastapi import FastAPI, Request

app = FastAPI()
logging.basicConfig(level=logging.INFO)
audit_log = logging.getLogger("audit")


def record_search(client_ip: str, term: str, agent: str) -> None:
    audit_log.info(f"search from {client_ip} term={term} agent={agent}")


@app.get("/search")
async def search(request: Request, q: str = ""):
    agent = request.headers.get("user-agent", "-")
    record_search(request.client.host, q, agent)
    return {"query": q, "results": []}
