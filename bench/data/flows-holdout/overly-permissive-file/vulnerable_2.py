# expect: overly-permissive-file line 12
import os
import stat
from pathlib import Path

LOG_FILE = "/var/log/myapp/app.log"


def init_log_file():
    os.makedirs(os.path.dirname(LOG_FILE), exist_ok=True)
    Path(LOG_FILE).touch()
    os.chmod(LOG_FILE, stat.S_IRWXU | stat.S_IRWXG | stat.S_IRWXO)
    return LOG_FILE
