"""Ask for a completion at the cursor: `secgen complete examples/complete_me.py --line 8 --column 5`."""

import subprocess


def ping(host):
    """Ping the host the user typed, once, and return True if it answered."""
    
