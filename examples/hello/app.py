"""hello: a small app built on pybase, with its code inside: a route, a record hook, a cron job.

Run it from a pybase checkout (or with pybase installed):

    python examples/hello/app.py superuser create admin@example.com 1234567890
    python examples/hello/app.py serve            # the pybase CLI: serve, superuser, migrate...

Build it into one executable file (``dist/hello``), see build.spec:

    PYBASE_ENTRY=examples/hello/app.py PYBASE_NAME=hello scripts/build.sh
"""

from __future__ import annotations

import logging

import pybase
from pybase.core.collection_bind import new_collection

log = logging.getLogger("hello")

app = pybase.PyBase()


# ---- the schema: a migration in code, applied when the server starts ------------------------


def create_notes(core):
    """A public ``notes`` collection and a ``stats`` collection the cron job fills."""
    core.save_collection(new_collection({
        "name": "notes",
        "listRule": "", "viewRule": "", "createRule": "",
        "fields": [{"name": "title", "type": "text", "required": True, "max": 200}],
    }))
    core.save_collection(new_collection({
        "name": "stats",
        "listRule": "", "viewRule": "",
        "fields": [{"name": "value", "type": "number"}],
    }))


def drop_notes(core):
    for name in ("stats", "notes"):
        core.delete_collection(core.find_collection(name))


app.migration("1700000000_hello_notes.py", create_notes, drop_notes)


# ---- a custom route ----------------------------------------------------------------------------


@app.route("GET", "/hello/{name}")
def hello(e):
    """``GET /hello/world`` -> ``{"message": "Hello world!"}``."""
    return e.json(200, {"message": f"Hello {e.request.path_value('name')}!"})


# ---- a record hook -----------------------------------------------------------------------------


@app.on_record_create("notes")
def tidy_title(e):
    """Every new note's title is trimmed and starts with a capital letter."""
    title = (e.record.get("title") or "").strip()
    e.record.set("title", title[:1].upper() + title[1:])
    return e.next()


# ---- a cron job --------------------------------------------------------------------------------

NOTES_COUNT_ID = "notescount00000"


@app.cron("count_notes", "*/10 * * * *")
def count_notes():
    """Every 10 minutes: store how many notes there are in ``stats`` (record ``notescount00000``)."""
    core = app.core
    notes = core.records.count(core.find_collection("notes"))
    stats = core.find_collection("stats")
    record = core.records.find_first(stats, id=NOTES_COUNT_ID) or core.new_record(stats, {"id": NOTES_COUNT_ID})
    record.set("value", notes)
    core.save(record)
    log.info("%d notes", notes)


if __name__ == "__main__":
    raise SystemExit(app.start())
