"""``python -m pybase``: the same CLI as the ``pybase`` command."""

import sys

from pybase.cli import main

sys.exit(main())
