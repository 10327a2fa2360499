"""pybase's version: its own module, so ``pybase version`` and ``--help`` need none of the rest."""

VERSION = "0.1.0"
