# expect: url-redirection line 11
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

app = FastAPI()


@app.get("/oauth/callback")
def oauth_callback(code: str, redirect_uri: str):
    # exchange `code` for a token here
    return RedirectResponse(url=redirect_uri)
