"""Entry point of the bundle's ``workbench-cli`` executable: the command line (``workbench.cli.main``)."""

from workbench.cli import main

raise SystemExit(main())
