# expect: insecure-protocol line 9
import os
from ftplib import FTP

BACKUP_HOST = "backup.example.com"


def upload_backup(local_path):
    ftp = FTP(BACKUP_HOST, timeout=30)
    ftp.login(user=os.environ["BACKUP_USER"], passwd=os.environ["BACKUP_PASSWORD"])
    try:
        ftp.cwd("/backups")
        with open(local_path, "rb") as fh:
            ftp.storbinary(f"STOR {os.path.basename(local_path)}", fh)
    finally:
        ftp.quit()


if __name__ == "__main__":
    upload_backup("/var/backups/db-latest.tar.gz")
