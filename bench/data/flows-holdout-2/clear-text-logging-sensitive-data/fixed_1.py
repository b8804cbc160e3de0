# expect: none
# safe: only host and user are logged; the password is never written to the log
import logging
import os

import psycopg2

logging.basicConfig(level=logging.DEBUG)
logger = logging.getLogger("db")


def connect():
    db_host = os.environ.get("DB_HOST", "localhost")
    db_user = os.environ.get("DB_USER", "app")
    db_password = os.environ["DB_PASSWORD"]
    logger.debug("Connecting to %s as %s", db_host, db_user)
    return psycopg2.connect(host=db_host, user=db_user, password=db_password, dbname="orders")


if __name__ == "__main__":
    conn = connect()
    logger.info("connected")
    conn.close()
