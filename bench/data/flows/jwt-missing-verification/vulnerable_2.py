# expect: jwt-missing-verification line 6
import jwt


def user_id_from_token(token, secret):
    payload = jwt.decode(token, secret, verify=False)
    return payload["user_id"]
