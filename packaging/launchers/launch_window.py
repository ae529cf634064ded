"""Entry point of the bundle's ``workbench`` executable: the window (``workbench.app.main``).

Not named workbench.py: PyInstaller searches the script's folder first, and a module of that name would
hide the package.
"""

from workbench.app import main

raise SystemExit(main())
