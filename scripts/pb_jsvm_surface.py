"""Extract the list of PocketBase's JS globals, classes and methods from its generated jsvm typings.

PocketBase generates ``plugins/jsvm/internal/types/generated/types.d.ts`` from its Go API. This
reads that file and writes the *names* only (facts, not text) to
``tests/data/pb_jsvm_surface.json``, which ``tests/jsvm/test_parity.py`` checks pybase's surface
against::

    git -C /work/.mirror/pocketbase+pocketbase/repo show \\
        HEAD:plugins/jsvm/internal/types/generated/types.d.ts > /tmp/pb_types.d.ts
    python scripts/pb_jsvm_surface.py /tmp/pb_types.d.ts [--version 0.40.6]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "pb_jsvm_surface.json"

# JS name -> the Go type (namespace.Interface) whose methods and fields it exposes.
TYPES = {
    "$app": "core.App",
    "Record": "core.Record",
    "Collection": "core.Collection",
    "FieldsList": "core.FieldsList",
    "RequestEvent": "core.RequestEvent",
    "RequestInfo": "core.RequestInfo",
    "DateTime": "types.DateTime",
    "Logger": "slog.Logger",
    "DbBuilder": "dbx.Builder",
    "SelectQuery": "dbx.SelectQuery",
    "Query": "dbx.Query",
}
# Members PocketBase itself leaves out of a JS type (its excludeHooks<>: on* hooks and cron).
EXCLUDED = {"$app": re.compile(r"^(on[A-Z]\w*|cron)$")}

_DECLARE_RE = re.compile(r"^declare (function|var|class|const|namespace) (\$?\w+)")
_NS_MEMBER_RE = re.compile(r"^\s+(?:export\s+)?(?:let|function|const)\s+(\w+)")
_NS_EXPORT_AS_RE = re.compile(r"^\s+export\s*\{\s*\w+\s+as\s+(\w+)\s*\}")
_NAMESPACE_RE = re.compile(r"^namespace (\w+) \{")
_INTERFACE_RE = re.compile(r"^ interface (\w+)(?:<[^>]*>)?(?:\s+extends\s+([^{]+))?\s*\{")
_ALIAS_RE = re.compile(r"^ type (\w+)(?:<[^>]*>)? = ([\w.]+)\s*$")
_MEMBER_RE = re.compile(r"^  (\w+)\??\s*[(:<]")


def _globals(lines: list[str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    kinds: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    current = None
    for line in lines:
        if current is not None:
            if line.startswith("}"):
                current = None
                continue
            m = _NS_EXPORT_AS_RE.match(line) or _NS_MEMBER_RE.match(line)
            if m and not m.group(1).startswith("_"):
                members[current].append(m.group(1))
            continue
        m = _DECLARE_RE.match(line)
        if not m:
            continue
        kind, name = m.groups()
        kinds.setdefault(name, {"var": "value", "const": "class", "namespace": "object"}.get(kind, kind))
        if kind == "namespace" and not line.rstrip().endswith("}"):
            current = name
            members.setdefault(name, [])
    return kinds, members


def _interfaces(lines: list[str]) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    """Members and parents of every ``namespace.Interface`` (merged declarations joined)."""
    members: dict[str, set[str]] = {}
    parents: dict[str, list[str]] = {}
    aliases: dict[str, str] = {}
    namespace = None
    current = None
    for line in lines:
        m = _NAMESPACE_RE.match(line)
        if m:
            namespace = m.group(1)
            continue
        if line.startswith("}"):
            namespace = None
            continue
        if namespace is None:
            continue
        if current is not None:
            if line.startswith(" }"):
                current = None
                continue
            mm = _MEMBER_RE.match(line)
            if mm:
                members[current].add(mm.group(1))
            continue
        m = _ALIAS_RE.match(line)
        if m:
            aliases[f"{namespace}.{m.group(1)}"] = m.group(2) if "." in m.group(2) else f"{namespace}.{m.group(2)}"
            continue
        m = _INTERFACE_RE.match(line)
        if m:
            current = f"{namespace}.{m.group(1)}"
            members.setdefault(current, set())
            for parent in (m.group(2) or "").split(","):
                parent = parent.strip()
                if parent:
                    parents.setdefault(current, []).append(parent if "." in parent else f"{namespace}.{parent}")
            if line.rstrip().endswith("}"):
                current = None
    resolved = {k: [aliases.get(p, p) for p in v] for k, v in parents.items()}
    return members, resolved


def _all_members(name: str, members: dict[str, set[str]], parents: dict[str, list[str]]) -> set[str]:
    out: set[str] = set()
    seen: set[str] = set()
    todo = [name]
    while todo:
        item = todo.pop()
        if item in seen:
            continue
        seen.add(item)
        out |= members.get(item, set())
        todo.extend(parents.get(item, ()))
    return out


def extract(text: str) -> dict[str, object]:
    lines = text.splitlines()
    kinds, ns_members = _globals(lines)
    members, parents = _interfaces(lines)
    types: dict[str, list[str]] = {}
    for js_name, go_type in TYPES.items():
        names = _all_members(go_type, members, parents)
        exclude = EXCLUDED.get(js_name)
        types[js_name] = sorted(n for n in names if not (exclude and exclude.match(n)))
    return {
        "globals": dict(sorted(kinds.items())),
        "namespaces": {k: sorted(set(v)) for k, v in sorted(ns_members.items())},
        "types": types,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("types_d_ts")
    parser.add_argument("--version", default="0.40.6")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    data = {"pocketbase": args.version, "source": "plugins/jsvm/internal/types/generated/types.d.ts"}
    data.update(extract(Path(args.types_d_ts).read_text(encoding="utf-8")))
    Path(args.out).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    counts = {k: len(v) for k, v in data["types"].items()}  # type: ignore[union-attr]
    print(f"{len(data['globals'])} globals, types: {counts}", file=sys.stderr)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
