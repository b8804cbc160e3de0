# expect: hardcoded-credentials line 6, 10
import psycopg2

DB_HOST = "db.internal"
DB_USER = "reporting"
DB_PASSWORD = "s3cr3t-Passw0rd!"


def get_connection():
    return psycopg2.connect(host=DB_HOST, user=DB_USER, password=DB_PASSWORD, dbname="reports")
