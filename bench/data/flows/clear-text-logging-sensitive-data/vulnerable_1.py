# expect: clear-text-logging-sensitive-data line 8
import logging

logger = logging.getLogger(__name__)


def login(username, password):
    logger.info("Login for %s with password %s", username, password)
    return check_credentials(username, password)


def check_credentials(username, password):
    return username == "admin" and len(password) > 12
