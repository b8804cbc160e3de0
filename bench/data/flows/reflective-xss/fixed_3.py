# expect: none
# safe: markupsafe.escape on the message before it is put into the page
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from markupsafe import escape

app = FastAPI()


@app.get("/preview", response_class=HTMLResponse)
def preview(message: str):
    page = f"<html><body><div class='preview'>{escape(message)}</div></body></html>"
    return HTMLResponse(content=page)
