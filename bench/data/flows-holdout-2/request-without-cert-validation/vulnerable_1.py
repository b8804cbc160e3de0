# expect: request-without-cert-validation line 10
import sys

import requests

INVENTORY_API = "https://inventory.internal.example.com"


def get_stock_level(sku):
    resp = requests.get(f"{INVENTORY_API}/items", params={"sku": sku}, verify=False, timeout=10)
    resp.raise_for_status()
    return resp.json().get("quantity", 0)


if __name__ == "__main__":
    for item in sys.argv[1:]:
        print(item, get_stock_level(item))
