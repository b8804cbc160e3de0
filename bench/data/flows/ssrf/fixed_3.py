# expect: none
# safe: the path parameter is typed int, so FastAPI rejects anything but a number before it reaches the URL
import httpx
from fastapi import FastAPI

app = FastAPI()


@app.get("/stock/{item_id}")
def stock(item_id: int):
    reply = httpx.get(f"http://inventory.internal/items/{item_id}/stock")
    return reply.json()
