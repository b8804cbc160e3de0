# expect: ssrf line 10
import httpx
from fastapi import FastAPI

app = FastAPI()


@app.get("/stock/{item_id}")
def stock(item_id: str):
    reply = httpx.get(f"http://inventory.internal/items/{item_id}/stock")
    return reply.json()
