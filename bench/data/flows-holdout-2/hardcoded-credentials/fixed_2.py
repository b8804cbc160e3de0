# expect: none
# safe: API key loaded from the STRIPE_API_KEY environment variable; script exits if it is missing
import os
import sys

import requests


REFUNDS_URL = "https://api.stripe.com/v1/refunds"


def refund_charge(api_key, charge_id, amount_cents):
    payload = {"charge": charge_id, "amount": amount_cents}
    resp = requests.post(REFUNDS_URL, data=payload, auth=(api_key, ""), timeout=15)
    resp.raise_for_status()
    return resp.json()["id"]


if __name__ == "__main__":
    key = os.environ.get("STRIPE_API_KEY")
    if not key:
        sys.exit("STRIPE_API_KEY is not set")
    print(refund_charge(key, sys.argv[1], int(sys.argv[2])))
