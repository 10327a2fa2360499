"""Run conformance cases outside pytest and print each difference.

``python -m tests.conformance [authfields|fields|query|generic|collections|settings|batch|ratelimit ...] [-k substring]``
"""

from __future__ import annotations

import argparse

from tests.conformance import (
    cases_auth_fields,
    cases_batch,
    cases_collections,
    cases_fields,
    cases_generic,
    cases_query,
    cases_ratelimit,
    cases_settings,
)
from tests.conformance.harness import difference, running_pair

TABLES = {
    "authfields": cases_auth_fields,
    "fields": cases_fields, "query": cases_query, "generic": cases_generic, "collections": cases_collections,
    "settings": cases_settings, "batch": cases_batch, "ratelimit": cases_ratelimit,
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance")
    parser.add_argument("tables", nargs="*", default=list(TABLES))
    parser.add_argument("-k", default="", help="only cases whose name contains this")
    args = parser.parse_args()
    differ = total = 0
    with running_pair() as pair:
        for name in args.tables:
            module = TABLES[name]
            module.setup(pair)
            for case in module.build_cases():
                if args.k not in case.name:
                    continue
                if hasattr(module, "prepare"):
                    module.prepare(pair, case)
                total += 1
                diff = difference(*(case.mask(answer) for answer in pair.ask(case.request)))
                if diff:
                    differ += 1
                    print(f"{case.name}{diff}")
            if hasattr(module, "teardown"):
                module.teardown(pair)
    print(f"{differ} differences in {total} cases")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
