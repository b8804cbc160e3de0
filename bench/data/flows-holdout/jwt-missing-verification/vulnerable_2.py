# expect: jwt-missing-verification line 6
import jwt


def get_user_id(token, secret):
    data = jwt.decode(token, secret, verify=False)
    return data["user_id"]


def is_admin(token, secret):
    return get_user_id(token, secret) in {1, 2}
