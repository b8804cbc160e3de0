# expect: clear-text-logging-sensitive-data line 13
import getpass
import logging

import psycopg2

logging.basicConfig(level=logging.DEBUG)


def connect():
    user = input("Database user: ")
    password = getpass.getpass("Database password: ")
    logging.debug("Connecting as %s with password=%s", user, password)
    return psycopg2.connect(host="db.internal", user=user, password=password, dbname="sales")


if __name__ == "__main__":
    connect()
