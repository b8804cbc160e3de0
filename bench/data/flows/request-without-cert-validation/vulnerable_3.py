# expect: request-without-cert-validation line 8
import httpx

INTERNAL_API = "https://billing.internal:8443"


def create_invoice(customer_id: int, amount: float) -> dict:
    with httpx.Client(base_url=INTERNAL_API, verify=False, timeout=5.0) as client:
        reply = client.post("/invoices", json={"customer": customer_id, "amount": amount})
        reply.raise_for_status()
        return reply.json()
