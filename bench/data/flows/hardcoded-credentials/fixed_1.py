# expect: none
# safe: the password comes from the environment, not the source
import os

import psycopg2

DB_HOST = "db.internal"
DB_USER = "reporting"


def get_connection():
    return psycopg2.connect(host=DB_HOST, user=DB_USER, password=os.environ["DB_PASSWORD"], dbname="reports")
