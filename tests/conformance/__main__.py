"""Run the conformance cases outside pytest and print each difference: ``python -m tests.conformance [substring]``."""

from __future__ import annotations

import sys

from tests.conformance import cases_fields
from tests.conformance.harness import difference, running_pair


def main(argv: list[str]) -> int:
    wanted = argv[1] if len(argv) > 1 else ""
    differ = 0
    with running_pair() as pair:
        cases_fields.setup(pair)
        for case in cases_fields.build_cases():
            if wanted not in case.name:
                continue
            cases_fields.prepare(pair, case)
            diff = difference(*(case.mask(answer) for answer in pair.ask(case.request)))
            if diff:
                differ += 1
                print(f"{case.name}{diff}")
    print(f"{differ} differences")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
