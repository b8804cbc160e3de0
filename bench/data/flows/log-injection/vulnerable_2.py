# expect: log-injection line 8
import logging

logger = logging.getLogger("payments")


def record_failure(account_id, reason):
    logger.warning(f"Payment failed for account {account_id}: {reason}")
