# expect: hardcoded-credentials line 7, 12
import sys

import requests

REFUNDS_URL = "https://api.stripe.com/v1/refunds"
STRIPE_API_KEY = "sk_live_51Hq8ZkLmN0pQrStUvWx2Yz4AbCdEf"


def refund_charge(charge_id, amount_cents):
    payload = {"charge": charge_id, "amount": amount_cents}
    resp = requests.post(REFUNDS_URL, data=payload, auth=(STRIPE_API_KEY, ""), timeout=15)
    resp.raise_for_status()
    return resp.json()["id"]


if __name__ == "__main__":
    print(refund_charge(sys.argv[1], int(sys.argv[2])))
