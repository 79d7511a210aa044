"""``python -m usvlib``: the command-line interface."""

from usvlib.cli import main

raise SystemExit(main())
