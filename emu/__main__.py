"""``python -m emu``: the same command line as the ``emu`` console script."""

from emu.cli import main

raise SystemExit(main())
