# expect: none
# safe: FTP_TLS with a verifying TLS context; prot_p encrypts the data channel as well
import os
import ssl
from ftplib import FTP_TLS

BACKUP_HOST = "backup.example.com"


def upload_backup(local_path):
    context = ssl.create_default_context()
    ftps = FTP_TLS(BACKUP_HOST, context=context, timeout=30)
    ftps.login(user=os.environ["BACKUP_USER"], passwd=os.environ["BACKUP_PASSWORD"])
    ftps.prot_p()
    try:
        ftps.cwd("/backups")
        with open(local_path, "rb") as fh:
            ftps.storbinary(f"STOR {os.path.basename(local_path)}", fh)
    finally:
        ftps.quit()


if __name__ == "__main__":
    upload_backup("/var/backups/db-latest.tar.gz")
