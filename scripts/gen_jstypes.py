#!/usr/bin/env python3
"""Regenerate hooks_runtime/types.d.ts from the hook table and the declared JS surface.

    python scripts/gen_jstypes.py          # write it
    python scripts/gen_jstypes.py --check  # exit 1 when the committed file is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pybase.jsvm.typings import generate  # noqa: E402

TARGET = ROOT / "hooks_runtime" / "types.d.ts"


def main(argv: list[str]) -> int:
    fresh = generate()
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != fresh:
            print(f"{TARGET.relative_to(ROOT)} is stale: run python scripts/gen_jstypes.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(fresh, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(fresh)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
