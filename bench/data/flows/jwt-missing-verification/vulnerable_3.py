# expect: jwt-missing-verification line 10
from fastapi import FastAPI, Header
from jose import jwt

app = FastAPI()


@app.get("/orders")
def orders(authorization: str = Header()):
    claims = jwt.get_unverified_claims(authorization.split()[-1])
    return {"customer": claims["sub"], "orders": []}
