# expect: reflective-xss line 11
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

app = FastAPI()


@app.get("/preview", response_class=HTMLResponse)
def preview(message: str):
    page = f"<html><body><div class='preview'>{message}</div></body></html>"
    return HTMLResponse(content=page)
