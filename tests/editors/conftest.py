"""The editor tests drive real editors (Neovim, VS Code via code-server); their drivers live beside them."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
