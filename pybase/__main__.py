"""``python -m pybase`` and the ``pybase`` command: the same CLI."""

import os
import sys


def main() -> int:
    if os.environ.get("PYBASE_SUPERVISE"):
        # NOTE: ``serve --workers N`` started this process again as the supervisor: it needs
        # little of pybase, so it loads little (pybase.workers.context.SUPERVISE_ENV), not even
        # the CLI.
        from pybase.workers.supervisor import main_from_env

        return main_from_env()
    from pybase.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
