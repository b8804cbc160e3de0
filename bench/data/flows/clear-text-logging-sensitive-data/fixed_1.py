# expect: none
# safe: only the user name is logged (as %r, so it cannot forge log lines), never the password
import logging

logger = logging.getLogger(__name__)


def login(username, password):
    logger.info("Login for %r", username)
    return check_credentials(username, password)


def check_credentials(username, password):
    return username == "admin" and len(password) > 12
