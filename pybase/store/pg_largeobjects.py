"""Large objects of a Postgres database (``lo_import``, ``lo_from_bytea``: data outside any
table, that rows point at by oid) in a backup: each one's bytes in a member of the archive,
made again with the same oid by the restore (the rows pointing at it point at it again).

A large object belongs to the database, not to a schema, and records only its owner: the role
that made it. The app's are those of the role pybase connects as (``current_user``): a backup
carries those (another role's are named in its warnings: another app's, sharing the database),
and a restore replaces them (those the backup does not hold are unlinked), as it replaces its
tables, leaving the other roles' alone. Another app connecting as the same role cannot be
told apart: its large objects are the app's. Read and written in chunks (``lo_get`` /
``lo_put``), never whole in memory. Their privileges (``GRANT ... ON LARGE OBJECT``) come back
too; their owner becomes the restoring role.
"""

from __future__ import annotations

import os
import zipfile
from typing import Any

from sqlalchemy import Connection, text

from pybase.store.pg_objects_kinds import GRANTEE

#: bytes read from or written to a large object at a time
CHUNK = 1 << 20
#: the large objects of the role pybase connects as: the app's (``m``: pg_largeobject_metadata)
_OWN = "m.lomowner = current_user::regrole"


class LargeObjectsError(ValueError):
    """A list of large objects that is not one :func:`dump` writes."""


def dump(conn: Connection, zf: zipfile.ZipFile, folder: str) -> list[dict[str, Any]]:
    """Write the app's large objects (its role's) into ``folder/<oid>`` of ``zf``; returns the
    manifest's entries (oid, file, size, the GRANTs of its ACL)."""
    entries = []
    for (oid,) in conn.execute(text(f"SELECT m.oid FROM pg_largeobject_metadata m WHERE {_OWN} ORDER BY m.oid")).all():
        oid = int(oid)
        member = f"{folder}/{oid}"
        size = 0
        with zf.open(member, "w", force_zip64=True) as out:
            while True:
                data = conn.execute(text("SELECT lo_get(CAST(:o AS oid), :at, :n)"), {"o": oid, "at": size, "n": CHUNK}).scalar()
                data = bytes(data or b"")
                out.write(data)
                size += len(data)
                if len(data) < CHUNK:
                    break
        grants = [
            f"GRANT {row[0]} ON LARGE OBJECT {oid} TO {row[1]}" + (" WITH GRANT OPTION" if row[2] else "")
            for row in conn.execute(
                text(
                    f"SELECT a.privilege_type, {GRANTEE}, a.is_grantable FROM pg_largeobject_metadata m, "
                    "aclexplode(m.lomacl) a WHERE m.oid = CAST(:o AS oid) AND a.grantee <> m.lomowner ORDER BY a.grantee"
                ),
                {"o": oid},
            )
        ]
        entries.append({"oid": oid, "file": member, "size": size, "grants": grants})
    return entries


def others(conn: Connection) -> list[str]:
    """The roles other than pybase's owning large objects of the database, each with how many
    (sentences for a backup's warnings: not carried, and a restore leaves them)."""
    rows = conn.execute(
        text(
            "SELECT m.lomowner::regrole::text, count(*) FROM pg_largeobject_metadata m "
            f"WHERE NOT {_OWN} GROUP BY 1 ORDER BY 1"
        )
    ).all()
    return [
        f"{count} large object(s) of role {role}: not pybase's role's (another app's), a restore leaves them"
        for role, count in rows
    ]


def check(entries: Any, folder: str) -> None:
    """Raise LargeObjectsError unless ``entries`` has the shape :func:`dump` gives (files in ``folder``)."""
    ok = isinstance(entries, list) and all(
        isinstance(e, dict)
        and isinstance(e.get("oid"), int) and not isinstance(e.get("oid"), bool) and e["oid"] > 0
        and isinstance(e.get("size"), int) and not isinstance(e.get("size"), bool)
        and isinstance(e.get("file"), str) and os.path.dirname(e["file"]) == folder
        and isinstance(e.get("grants"), list)
        and all(isinstance(g, str) and g.startswith("GRANT ") and " ON LARGE OBJECT " in g for g in e["grants"])
        for e in entries
    )  # fmt: skip
    if not ok:
        raise LargeObjectsError("a list of large objects of an unknown shape")


def replace(conn: Connection, root: str, entries: list[dict[str, Any]]) -> None:
    """Unlink the app's large objects (its role's), then make the backup's (same oids, bytes,
    grants); LargeObjectsError when one of those oids is another role's (left as it is)."""
    from pybase.store.pg_tables import run

    conn.execute(text(f"SELECT lo_unlink(m.oid) FROM pg_largeobject_metadata m WHERE {_OWN}"))
    taken = conn.execute(
        text("SELECT m.oid, m.lomowner::regrole::text FROM pg_largeobject_metadata m WHERE m.oid = ANY(CAST(:o AS oid[])) ORDER BY m.oid"),
        {"o": [entry["oid"] for entry in entries]},
    ).first()
    if taken is not None:
        raise LargeObjectsError(
            f"large object {taken[0]} of this database is role {taken[1]}'s, not pybase's role's (another app's): "
            "the backup's of that oid cannot be made"
        )
    for entry in entries:
        oid = entry["oid"]
        conn.execute(text("SELECT lo_create(CAST(:o AS oid))"), {"o": oid})
        written = 0
        with open(os.path.join(root, entry["file"]), "rb") as source:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                conn.execute(text("SELECT lo_put(CAST(:o AS oid), :at, :data)"), {"o": oid, "at": written, "data": chunk})
                written += len(chunk)
        if written != entry["size"]:
            raise LargeObjectsError(f"large object {oid} holds {written} bytes where the backup lists {entry['size']}")
        for grant in entry["grants"]:
            run(conn, grant)
