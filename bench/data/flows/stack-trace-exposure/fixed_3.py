# expect: none
# safe: logger.exception keeps the trace in the log; the client sees a generic 500
import logging

from fastapi import FastAPI
from fastapi.responses import JSONResponse

app = FastAPI()
logger = logging.getLogger(__name__)


@app.get("/items/{item_id}")
def read_item(item_id: int):
    try:
        return {"item": 100 // (item_id - 7)}
    except Exception:
        logger.exception("reading item %d failed", item_id)
        return JSONResponse(status_code=500, content={"detail": "internal server error"})
