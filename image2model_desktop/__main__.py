import sys

from image2model_desktop.cli import main

sys.exit(main())
