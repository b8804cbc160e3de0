# expect: none
# safe: an argument list without a shell: the host is one argv entry, never parsed by a shell
import subprocess


def ping(host):
    """Ping `host` once and return the output."""
    result = subprocess.run(["ping", "-c", "1", "--", host], capture_output=True, text=True)
    return result.stdout
