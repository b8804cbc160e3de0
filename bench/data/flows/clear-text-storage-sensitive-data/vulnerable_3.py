# expect: clear-text-storage-sensitive-data line 14
import json
import sys
from pathlib import Path

CONFIG = Path.home() / ".mytool" / "config.json"


def main():
    secret = sys.argv[1]
    config = json.loads(CONFIG.read_text()) if CONFIG.exists() else {}
    config["api_secret"] = secret
    CONFIG.parent.mkdir(parents=True, exist_ok=True)
    CONFIG.write_text(json.dumps(config, indent=2))


if __name__ == "__main__":
    main()
