# expect: none
# safe: dump written to a private directory created by tempfile.TemporaryDirectory instead of a fixed /tmp name
import os
import shutil
import subprocess
import tempfile

BACKUP_DIR = "/var/backups/postgres"
DB_NAME = "inventory"


def nightly_backup():
    with tempfile.TemporaryDirectory(prefix="pgdump-") as work_dir:
        dump_path = os.path.join(work_dir, "backup.sql")
        with open(dump_path, "w") as dump_file:
            subprocess.run(["pg_dump", DB_NAME], stdout=dump_file, check=True)
        os.makedirs(BACKUP_DIR, mode=0o700, exist_ok=True)
        shutil.move(dump_path, os.path.join(BACKUP_DIR, f"{DB_NAME}.sql"))


if __name__ == "__main__":
    nightly_backup()
