# expect: jwt-missing-verification line 14
from pathlib import Path

from fastapi import FastAPI, Header, HTTPException
from jose import jwt

app = FastAPI()
PUBLIC_KEY = Path("/etc/orders-api/jwt_public.pem").read_text()


@app.delete("/orders/{order_id}")
def cancel_order(order_id: int, authorization: str = Header(...)):
    token = authorization.split(" ", 1)[-1]
    claims = jwt.decode(token, PUBLIC_KEY, algorithms=["RS256"], options={"verify_signature": False})
    if "orders:write" not in claims.get("scope", "").split():
        raise HTTPException(status_code=403, detail="insufficient scope")
    return {"cancelled": order_id, "by": claims.get("sub")}
