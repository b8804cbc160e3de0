# expect: none
# safe: the secret goes to the system keyring; the config file keeps no secret
import json
import sys
from pathlib import Path

import keyring

CONFIG = Path.home() / ".mytool" / "config.json"


def main():
    secret = sys.argv[1]
    config = json.loads(CONFIG.read_text()) if CONFIG.exists() else {}
    keyring.set_password("mytool", "api_secret", secret)
    config["api_secret_in_keyring"] = True
    CONFIG.parent.mkdir(parents=True, exist_ok=True)
    CONFIG.write_text(json.dumps(config, indent=2))


if __name__ == "__main__":
    main()
