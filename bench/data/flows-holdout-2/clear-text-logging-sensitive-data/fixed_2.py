# expect: none
# safe: only the last four digits of the card are printed; CVV is never printed
import getpass
import os

import requests

PAYMENTS_URL = "https://payments.example.com/v1/charges"


def charge(card_number, cvv, amount_cents):
    last_four = card_number[-4:]
    print(f"Charging card ending in {last_four} for {amount_cents / 100:.2f} USD")
    resp = requests.post(
        PAYMENTS_URL,
        json={"card": card_number, "cvv": cvv, "amount": amount_cents},
        headers={"Authorization": "Bearer " + os.environ["PAYMENTS_TOKEN"]},
        timeout=10,
    )
    resp.raise_for_status()
    return resp.json()["id"]


if __name__ == "__main__":
    card = getpass.getpass("Card number: ").replace(" ", "")
    security_code = getpass.getpass("CVV: ")
    print("charge id:", charge(card, security_code, 1999))
