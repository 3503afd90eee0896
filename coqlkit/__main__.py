"""``python -m coqlkit`` runs the ``coqlkit`` command."""

from coqlkit.cli import main

raise SystemExit(main())
