"""Launch the Workbench window (see ``python main.py --help``)."""

from workbench.app import main

raise SystemExit(main())
