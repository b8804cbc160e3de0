# expect: none
# safe: jwt.decode verifies the signature and expiry with algorithms=['HS256']
import jwt


def get_user_id(token, secret):
    data = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
    return data["user_id"]


def is_admin(token, secret):
    return get_user_id(token, secret) in {1, 2}
