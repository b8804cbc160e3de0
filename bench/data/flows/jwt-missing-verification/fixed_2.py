# expect: none
# safe: the signature and expiry are verified (algorithms pinned to HS256)
import jwt


def user_id_from_token(token, secret):
    payload = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
    return payload["user_id"]
