"""``python -m jobfsm``."""

import sys

from jobfsm.cli import main

sys.exit(main())
