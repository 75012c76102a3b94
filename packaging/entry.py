"""Frozen entry point of the bundle (PyInstaller runs this as ``__main__``).

``freeze_support()`` must come first: the app's spawn process pool re-runs this
executable for each worker, and without it every worker would open a window.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()

    from image2model_desktop.cli import main

    sys.exit(main())
