# expect: stack-trace-exposure line 15
import traceback

from fastapi import FastAPI
from fastapi.responses import JSONResponse

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int):
    try:
        return {"item": 100 // (item_id - 7)}
    except Exception as exc:
        return JSONResponse(status_code=500, content={"detail": repr(exc), "trace": traceback.format_exception(exc)})
