# expect: overly-permissive-file line 10, 13
import json
import os
from pathlib import Path

CACHE_DIR = Path("/var/cache/myapp")


def write_cache(key, payload):
    os.makedirs(CACHE_DIR, mode=0o777, exist_ok=True)
    cache_file = CACHE_DIR / f"{key}.json"
    cache_file.write_text(json.dumps(payload), encoding="utf-8")
    cache_file.chmod(0o666)
    return cache_file


if __name__ == "__main__":
    write_cache("settings", {"theme": "dark", "page_size": 50})
