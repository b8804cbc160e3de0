# expect: none
# safe: verify points at the internal CA bundle, so server certificates are still validated
import sys

import requests

INVENTORY_API = "https://inventory.internal.example.com"
CA_BUNDLE = "/etc/ssl/certs/internal-ca.pem"


def get_stock_level(sku):
    resp = requests.get(f"{INVENTORY_API}/items", params={"sku": sku}, verify=CA_BUNDLE, timeout=10)
    resp.raise_for_status()
    return resp.json().get("quantity", 0)


if __name__ == "__main__":
    for item in sys.argv[1:]:
        print(item, get_stock_level(item))
