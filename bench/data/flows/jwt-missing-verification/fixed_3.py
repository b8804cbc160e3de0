# expect: none
# safe: jose's jwt.decode checks the RS256 signature against the issuer's public key
from fastapi import FastAPI, Header
from jose import jwt

app = FastAPI()
with open("issuer_public.pem") as key_file:
    PUBLIC_KEY = key_file.read()


@app.get("/orders")
def orders(authorization: str = Header()):
    claims = jwt.decode(authorization.split()[-1], PUBLIC_KEY, algorithms=["RS256"], audience="orders-api")
    return {"customer": claims["sub"], "orders": []}
