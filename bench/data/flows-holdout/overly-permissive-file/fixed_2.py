# expect: none
# safe: owner read/write and group read only (0o640), nothing for others
import os
import stat
from pathlib import Path

LOG_FILE = "/var/log/myapp/app.log"


def init_log_file():
    os.makedirs(os.path.dirname(LOG_FILE), exist_ok=True)
    Path(LOG_FILE).touch()
    os.chmod(LOG_FILE, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP)
    return LOG_FILE
