"""``python -m secgen`` is the ``secgen`` command."""

from secgen.server.cli import main

raise SystemExit(main())
