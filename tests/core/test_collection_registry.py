"""The collections registry around a write transaction, on a real database (both backends): a
collection saved inside a write is its writing thread's until the commit, then everyone's; a
rollback leaves the others' copy as it was."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from pybase.core.collection_bind import new_collection
from tests.testapp import TestServer

pytestmark = pytest.mark.both_backends


def _from_other_thread(fn: Any) -> Any:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join()
    return out[0]


def _notes(name: str) -> Any:
    return new_collection({"name": name, "type": "base", "listRule": "", "fields": [{"name": "t", "type": "text"}]})


def test_a_collection_saved_inside_a_write_is_the_writers_until_it_commits(empty_server: TestServer) -> None:
    app = empty_server.app
    with app.db.write():
        app.save_collection(_notes("inwrite"))
        assert app.registry.find("inwrite") is not None  # the writer's own view
        assert "inwrite" in {c.name for c in app.registry.all()}
        assert _from_other_thread(lambda: app.registry.find("inwrite")) is None
        assert "inwrite" not in _from_other_thread(lambda: {c.name for c in app.registry.all()})
        # a request meanwhile: no such collection yet (it was a 500, "no such table")
        resp = _from_other_thread(lambda: requests.get(f"{empty_server.base_url}/api/collections/inwrite/records", timeout=30))
        assert resp.status_code == 404, resp.text
    assert _from_other_thread(lambda: app.registry.find("inwrite")) is not None
    assert app.registry.find("inwrite") is not None
    resp = requests.get(f"{empty_server.base_url}/api/collections/inwrite/records", timeout=30)
    assert resp.status_code == 200, resp.text


def test_a_collection_saved_inside_a_rolled_back_write_is_nobodys(empty_server: TestServer) -> None:
    app = empty_server.app
    with pytest.raises(RuntimeError), app.db.write():
        app.save_collection(_notes("rolledback"))
        assert app.registry.find("rolledback") is not None
        raise RuntimeError
    assert app.registry.find("rolledback") is None
    assert _from_other_thread(lambda: app.registry.find("rolledback")) is None


def test_a_collection_deleted_inside_a_write_stays_for_the_others_until_it_commits(empty_server: TestServer) -> None:
    app = empty_server.app
    app.save_collection(_notes("todelete"))
    with app.db.write():
        app.delete_collection(app.registry.find("todelete"))
        assert app.registry.find("todelete") is None
        assert _from_other_thread(lambda: app.registry.find("todelete")) is not None
    assert _from_other_thread(lambda: app.registry.find("todelete")) is None


def test_the_commit_makes_the_writers_copy_live_without_reading_again(
    empty_server: TestServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the write read after its change is what it committed: made live at the commit as
    it is (a read again cost every collection save a second read of all collections)."""
    app = empty_server.app
    registry = app.registry
    read = registry._read
    outside: list[bool] = []

    def counted() -> Any:
        if not app.db.in_write():
            outside.append(True)
        return read()

    with app.db.write():
        app.save_collection(_notes("noreread"))
        monkeypatch.setattr(registry, "_read", counted)
    monkeypatch.undo()
    assert not outside
    assert _from_other_thread(lambda: app.registry.find("noreread")) is not None
    resp = requests.get(f"{empty_server.base_url}/api/collections/noreread/records", timeout=30)
    assert resp.status_code == 200, resp.text
