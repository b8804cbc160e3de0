# expect: none
# safe: the debug line names the user only (as %r); the password is never logged
import getpass
import logging

import psycopg2

logging.basicConfig(level=logging.DEBUG)


def connect():
    user = input("Database user: ")
    password = getpass.getpass("Database password: ")
    logging.debug("Connecting as %r", user)
    return psycopg2.connect(host="db.internal", user=user, password=password, dbname="sales")


if __name__ == "__main__":
    connect()
