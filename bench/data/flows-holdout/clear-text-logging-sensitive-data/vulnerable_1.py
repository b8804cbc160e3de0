# expect: clear-text-logging-sensitive-data line 11
import logging

import psycopg2

logging.basicConfig(level=logging.DEBUG)
logger = logging.getLogger("db")


def connect_to_db(host, user, password):
    logger.debug("Connecting to %s as %s with password %s", host, user, password)
    return psycopg2.connect(host=host, user=user, password=password, dbname="app")
