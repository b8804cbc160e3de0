"""The fuzzer's modules import as ``tests.fuzz...``, as ``python -m tests.fuzz.run`` does.

So the repository root goes on sys.path, also when pytest is started from elsewhere.
"""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
