# expect: none
# safe: the password is left out of the log message
import logging

import psycopg2

logging.basicConfig(level=logging.DEBUG)
logger = logging.getLogger("db")


def connect_to_db(host, user, password):
    logger.debug("Connecting to %s as %s", host, user)
    return psycopg2.connect(host=host, user=user, password=password, dbname="app")
