# expect: insecure-temporary-file line 11, 14
import os
import shutil
import subprocess

BACKUP_DIR = "/var/backups/postgres"
DB_NAME = "inventory"


def nightly_backup():
    with open("/tmp/nightly_backup.sql", "w") as dump_file:
        subprocess.run(["pg_dump", DB_NAME], stdout=dump_file, check=True)
    os.makedirs(BACKUP_DIR, exist_ok=True)
    shutil.move("/tmp/nightly_backup.sql", os.path.join(BACKUP_DIR, f"{DB_NAME}.sql"))


if __name__ == "__main__":
    nightly_backup()
