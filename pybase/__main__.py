"""``python -m pybase``: the same CLI as the ``pybase`` command."""

import os
import sys

if os.environ.get("PYBASE_SUPERVISE"):
    # NOTE: ``serve --workers N`` started this process again as the supervisor: it needs little
    # of pybase, so it loads little (pybase.workers.context.SUPERVISE_ENV).
    from pybase.workers.supervisor import main_from_env

    sys.exit(main_from_env())

from pybase.cli import main

sys.exit(main())
