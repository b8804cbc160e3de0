# expect: none
# safe: verify= the internal CA bundle, so the certificate is still checked
import httpx

INTERNAL_API = "https://billing.internal:8443"
INTERNAL_CA = "/etc/ssl/certs/internal-ca.pem"


def create_invoice(customer_id: int, amount: float) -> dict:
    with httpx.Client(base_url=INTERNAL_API, verify=INTERNAL_CA, timeout=5.0) as client:
        reply = client.post("/invoices", json={"customer": customer_id, "amount": amount})
        reply.raise_for_status()
        return reply.json()
