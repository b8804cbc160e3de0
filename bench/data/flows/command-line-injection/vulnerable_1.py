# expect: command-line-injection line 7
import subprocess


def ping(host):
    """Ping `host` once and return the output."""
    result = subprocess.run(f"ping -c 1 {host}", shell=True, capture_output=True, text=True)
    return result.stdout
