# expect: none
# safe: the redirect target must be one of an allow-listed set of URLs
from fastapi import FastAPI, HTTPException
from fastapi.responses import RedirectResponse

app = FastAPI()
ALLOWED_REDIRECTS = {"https://app.example.com/home", "https://app.example.com/settings"}


@app.get("/oauth/callback")
def oauth_callback(code: str, redirect_uri: str):
    # exchange `code` for a token here
    if redirect_uri not in ALLOWED_REDIRECTS:
        raise HTTPException(status_code=400, detail="redirect_uri not allowed")
    return RedirectResponse(url=redirect_uri)
