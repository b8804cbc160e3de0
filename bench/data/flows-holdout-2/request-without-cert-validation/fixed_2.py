# expect: none
# safe: httpx uses its default certificate verification (verify not disabled)
import datetime
import os

import httpx

WEBHOOK_URL = "https://hooks.internal.example.com/deploys"


def notify_deploy(service, version):
    payload = {
        "service": service,
        "version": version,
        "at": datetime.datetime.utcnow().isoformat(),
    }
    response = httpx.post(WEBHOOK_URL, json=payload, timeout=5.0)
    return response.status_code == 200


if __name__ == "__main__":
    notify_deploy("checkout", os.environ.get("GIT_SHA", "dev"))
