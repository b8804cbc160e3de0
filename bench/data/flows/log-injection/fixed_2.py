# expect: none
# safe: int() cast on the account id and %r for the reason, which escapes newlines
import logging

logger = logging.getLogger("payments")


def record_failure(account_id, reason):
    logger.warning("Payment failed for account %d: %r", int(account_id), reason)
