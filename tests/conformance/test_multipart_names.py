"""Multipart parts whose Content-Disposition holds an odd character (a CR, an LF, a quote, a
control character, a backslash) in the field or the file name, quoted or not, at every place:
pybase reads the part (or refuses the body, or skips the part) as PocketBase, whose Go reader
refuses a header holding a CR or LF and skips a part whose disposition ``mime.ParseMediaType``
refuses. Sent to a record create with a file field and to the backups upload.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.conformance.cases_operations import ZIP
from tests.conformance.harness import Answer, Pair, Request, Target, difference, normalise
from tests.conformance.known import explain

COLLECTION = "mp_names"
RECORDS = f"/api/collections/{COLLECTION}/records"
UPLOAD = "/api/backups/upload"
BACKUPS = "/api/backups"
BOUNDARY = "B0undary"
# a stored file name: the sent name made safe, "_" and 10 random characters
STORED_RE = re.compile(r"^(\w*?)_[a-z0-9]{10}(\.\w+)?$")
RANDOM_RE = re.compile(r"^(\w{0,2}?)[a-z0-9]{10}$")
STORED_IN_TEXT_RE = re.compile(r'"(\w*?)_[a-z0-9]{10}(\.\w+)?"')

ODD = {
    "CR": "\r", "LF": "\n", "CRLF": "\r\n", "quote": '"', "escaped quote": '\\"', "backslash": "\\",
    "tab": "\t", "NUL": "\x00", "x01": "\x01", "DEL": "\x7f",
}  # fmt: skip
POSITIONS = ("start", "middle", "end", "only")


@dataclasses.dataclass(frozen=True)
class Case:
    """One multipart body (a plain part, then the part under test) sent to ``route``."""

    name: str
    route: str  # "record" or "upload"
    headers: bytes  # the header block of the part under test (CRLF-separated, no blank line)
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}"


def _place(odd: str, base: str, position: str) -> str:
    return {"start": odd + base, "middle": base[0] + odd + base[1:], "end": base + odd, "only": odd}[position]


def _quote(value: str, quoted: bool) -> str:
    return f'"{value}"' if quoted else value


def _body(case: Case) -> bytes:
    content = ZIP if case.route == "upload" else b"hello"
    plain = b'Content-Disposition: form-data; name="ab"\r\n\r\nplain'
    part = case.headers + b"\r\n\r\n" + content
    return b"".join(b"--" + BOUNDARY.encode() + b"\r\n" + p + b"\r\n" for p in (plain, part)) + b"--" + BOUNDARY.encode() + b"--\r\n"


def build_cases() -> list[Case]:
    """Every odd character x place x name or file name x quoted or not, on both routes, and
    the other things Go's header and disposition readers decide (folding, RFC 2231 names, paths)."""
    cases = []
    for route in ("record", "upload"):
        field = "fi" if route == "record" else "file"
        for n, (label, odd, position, quoted, which) in enumerate(
            (label, odd, position, quoted, which)
            for label, odd in ODD.items() for position in POSITIONS for quoted in (True, False) for which in ("name", "filename")
        ):  # fmt: skip
            filename = f"mp{n}.zip"
            if which == "name":
                value = f"form-data; name={_quote(_place(odd, field, position), quoted)}; filename={_quote(filename, quoted)}"
            else:
                value = f"form-data; name={_quote(field, quoted)}; filename={_quote(_place(odd, filename, position), quoted)}"
            kind = "quoted" if quoted else "unquoted"
            cases.append(Case(f"{route} {which} {label} {position} {kind}", route, _part_headers(value)))
        for label, headers in _other_headers(field):
            cases.append(Case(f"{route} {label}", route, headers))
        if route == "record":
            # NOTE: not uploaded as a backup: Go's filepath.Base gives "/", which PocketBase's
            # local driver stores (escaped) and lists as "/", a backup no route can delete (its
            # router cleans /api/backups/%2F); pybase refuses the name
            cases.append(Case("record file name only slashes", route, _part_headers(f'form-data; name="{field}"; filename="//"')))
        plain = _part_headers(f'form-data; name="{field}"; filename="typed.zip"')
        for label, content_type in CONTENT_TYPES:
            cases.append(Case(f"{route} request type {label}", route, plain, content_type))
    return cases


#: the request's Content-Type, read by Go's mime.ParseMediaType too
CONTENT_TYPES = [
    ("quoted boundary", f'multipart/form-data; boundary="{BOUNDARY}"'),
    ("no space", f"multipart/form-data;boundary={BOUNDARY}"),
    ("charset first", f"multipart/form-data; charset=utf-8; boundary={BOUNDARY}"),
    ("trailing semicolon", f"multipart/form-data; boundary={BOUNDARY};"),
    ("boundary twice", f"multipart/form-data; boundary={BOUNDARY}; boundary=other"),
    ("boundary twice the same", f"multipart/form-data; boundary={BOUNDARY}; boundary={BOUNDARY}"),
    ("garbage after", f"multipart/form-data; boundary={BOUNDARY} x"),
    ("empty boundary", "multipart/form-data; boundary="),
    ("empty quoted boundary", 'multipart/form-data; boundary=""'),
    ("upper type", f"Multipart/Form-Data; boundary={BOUNDARY}"),
    ("upper parameter", f"multipart/form-data; BOUNDARY={BOUNDARY}"),
]


def _part_headers(disposition: str, content_type: str = "application/zip") -> bytes:
    return f"Content-Disposition: {disposition}\r\nContent-Type: {content_type}".encode()


def _other_headers(field: str) -> list[tuple[str, bytes]]:
    def disposition(value: str) -> bytes:
        return _part_headers(value.replace("FIELD", field))

    return [
        ("plain", disposition('form-data; name="FIELD"; filename="plain1.zip"')),
        ("rfc 2231 file name", disposition("form-data; name=\"FIELD\"; filename*=utf-8''rfc%20a.zip")),
        ("rfc 2231 file name over the plain one", disposition("form-data; name=\"FIELD\"; filename=\"x.zip\"; filename*=UTF-8''rfc_b.zip")),
        ("rfc 2231 unknown charset", disposition("form-data; name=\"FIELD\"; filename*=latin-1''rfc_c.zip")),
        ("rfc 2231 bad escape", disposition("form-data; name=\"FIELD\"; filename*=utf-8''rfc%zz.zip")),
        ("rfc 2231 sections", disposition('form-data; name="FIELD"; filename*0="rfc_"; filename*1="d.zip"')),
        ("name twice", disposition('form-data; name="FIELD"; name="other"; filename="twice1.zip"')),
        ("name twice the same", disposition('form-data; name="FIELD"; name="FIELD"; filename="twice2.zip"')),
        ("attachment", disposition('attachment; name="FIELD"; filename="attach.zip"')),
        ("upper disposition", disposition('FORM-DATA; NAME="FIELD"; FILENAME="upper.zip"')),
        ("spaces around", disposition('form-data ;  name = "FIELD" ;filename= "spaces.zip" ;')),
        ("two semicolons", disposition('form-data;; name="FIELD"; filename="semi.zip"')),
        ("empty name", disposition('form-data; name=""; filename="emptyname.zip"')),
        ("empty file name", disposition('form-data; name="FIELD"; filename=""')),
        ("file name path", disposition('form-data; name="FIELD"; filename="dir/sub/path.zip"')),
        ("file name trailing slash", disposition('form-data; name="FIELD"; filename="dir/slash.zip/"')),
        ("file name windows path", disposition('form-data; name="FIELD"; filename="C:\\dir\\win.zip"')),
        ("unquoted utf-8 file name", disposition("form-data; name=FIELD; filename=ü1.zip")),
        ("quoted utf-8 file name", disposition('form-data; name="FIELD"; filename="ü2.zip"')),
        ("folded header", f'Content-Disposition: form-data; name="{field}";\r\n filename="folded.zip"\r\nContent-Type: application/zip'.encode()),
        ("folded first line", f' Content-Disposition: form-data; name="{field}"; filename="fold1.zip"'.encode()),
        ("line without colon", f'Content-Disposition: form-data; name="{field}"; filename="nocolon.zip"\r\nnot a header'.encode()),
        ("space before colon", f'Content-Disposition : form-data; name="{field}"; filename="space_colon.zip"'.encode()),
        ("lowercase header", f'content-disposition: form-data; name="{field}"; filename="lower.zip"'.encode()),
        ("no space after colon", f'Content-Disposition:form-data; name="{field}"; filename="nospace.zip"'.encode()),
        ("disposition twice", f'Content-Disposition: form-data; name="{field}"; filename="first.zip"\r\n'
                              f'Content-Disposition: form-data; name="{field}"; filename="second.zip"'.encode()),
        ("LF line ends", f'Content-Disposition: form-data; name="{field}"; filename="lf.zip"\nContent-Type: application/zip'.encode()),
        ("odd byte in another header", f'Content-Disposition: form-data; name="{field}"; filename="other.zip"\r\nX-Note: a\x01b'.encode()),
        ("bad header name", f'Content-Disposition: form-data; name="{field}"; filename="badkey.zip"\r\nX(y): 1'.encode()),
    ]  # fmt: skip


CASES = build_cases()


@pytest.fixture(scope="module")
def names_pair(pair: Pair) -> Pair:
    """The pair with a collection of a text field ``ab`` and a file field ``fi``."""
    if pair.first_time("multipart names"):
        pair.ok("POST", "/api/collections", {"name": COLLECTION, "type": "base", "fields": [
            {"name": "ab", "type": "text"}, {"name": "fi", "type": "file", "maxSelect": 1, "maxSize": 100_000},
        ]})  # fmt: skip
    return pair


def test_the_table_is_large() -> None:
    assert len(CASES) >= 300
    assert {case.route for case in CASES} == {"record", "upload"}


def ask(target: Target, case: Case) -> Answer:
    """The answer; a created record's file name masked and the file's content added; an
    upload's stored backups (deleted again)."""
    req = Request("POST", RECORDS if case.route == "record" else UPLOAD, raw=_body(case), content_type=case.content_type)
    before = set() if case.route == "record" else {item["key"] for item in target.ok("GET", BACKUPS)}
    resp = target.send(req)
    answer = normalise(resp)
    if case.route == "record":
        body = answer.body
        if answer.status == 200 and body.get("fi"):
            record = resp.json()
            content = target.send(Request("GET", f"/api/files/{COLLECTION}/{record['id']}/{record['fi']}"))
            body = {**body, "fi": _stored(record["fi"]), "<content>": content.content.decode("utf-8", "replace")}
        return Answer(answer.status, body)
    keys = [item["key"] for item in target.ok("GET", BACKUPS) if item["key"] not in before]
    for key in keys:
        target.ok("DELETE", f"{BACKUPS}/{quote(key, safe='')}")
    return Answer(answer.status, {"answer": _masked(answer.body), "stored": keys})


def _stored(name: str) -> str:
    match = STORED_RE.match(name)
    if not match:
        return name
    # NOTE: a name shorter than 3 characters once made safe gets 10 random ones more
    head = RANDOM_RE.sub(r"\1<random>", match.group(1))
    return f"{head}_<random>{match.group(2) or ''}"


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, str):
        return STORED_IN_TEXT_RE.sub(r'"\1_<random>\2"', value)
    return value


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_multipart_names(names_pair: Pair, case: Case) -> None:
    pb, py = (ask(target, case) for target in names_pair.targets)
    explain(case.name, pb, py, difference(pb, py))


# ---- Go's limits: parts in a body, bytes in a value, bytes of a part's headers ------------------

LIMITS_COLLECTION = "mp_limits"


def _limits_body(parts: int, value_bytes: int, pad_bytes: int) -> bytes:
    """``parts`` parts: an editor value of ``value_bytes``, a file whose part has an extra
    header of ``pad_bytes``, and fields no collection has up to the count."""
    def part(headers: str, content: bytes) -> bytes:
        return b"--" + BOUNDARY.encode() + b"\r\n" + headers.encode() + b"\r\n\r\n" + content + b"\r\n"

    pad = f"\r\nX-Pad: {'p' * pad_bytes}" if pad_bytes else ""
    chunks = [part('Content-Disposition: form-data; name="ed"', b"e" * value_bytes),
              part(f'Content-Disposition: form-data; name="fi"; filename="limits.txt"\r\nContent-Type: text/plain{pad}', b"limits")]  # fmt: skip
    chunks += [part(f'Content-Disposition: form-data; name="unknown{i}"', b"u") for i in range(parts - 2)]
    return b"".join(chunks) + b"--" + BOUNDARY.encode() + b"--\r\n"


#: (label, parts, value bytes, header padding bytes): around falcon's defaults (64 parts, 1 MiB a
#: value, 8 KiB of headers a part) and Go's (1000 parts)
LIMIT_CASES = [
    ("64 parts", 64, 10, 0), ("65 parts", 65, 10, 0), ("1000 parts", 1000, 10, 0), ("1001 parts", 1001, 10, 0),
    ("value 1 MiB", 2, 1 << 20, 0), ("value 1 MiB + 1", 2, (1 << 20) + 1, 0), ("value 3 MiB", 2, 3 << 20, 0),
    ("headers 8 KiB", 2, 10, 8 << 10), ("headers 9 KiB", 2, 10, 9 << 10), ("headers 100 KiB", 2, 10, 100 << 10),
]  # fmt: skip


@pytest.fixture(scope="module")
def limits_pair(pair: Pair) -> Pair:
    """The pair with a collection of an editor field ``ed`` and a file field ``fi``."""
    if pair.first_time("multipart limits"):
        pair.ok("POST", "/api/collections", {"name": LIMITS_COLLECTION, "type": "base", "createRule": "", "fields": [
            {"name": "ed", "type": "editor"}, {"name": "fi", "type": "file", "maxSelect": 1, "maxSize": 100_000},
        ]})  # fmt: skip
    return pair


@pytest.mark.parametrize(("label", "parts", "value_bytes", "pad_bytes"), LIMIT_CASES, ids=[case[0] for case in LIMIT_CASES])
def test_multipart_limits(limits_pair: Pair, label: str, parts: int, value_bytes: int, pad_bytes: int) -> None:
    body = _limits_body(parts, value_bytes, pad_bytes)
    answers = []
    for target in limits_pair.targets:
        resp = target.send(Request("POST", f"/api/collections/{LIMITS_COLLECTION}/records", raw=body,
                                   content_type=f"multipart/form-data; boundary={BOUNDARY}"))  # fmt: skip
        answer = normalise(resp)
        if answer.status == 200:
            record = resp.json()
            answer = Answer(200, {"ed bytes": len(record["ed"]), "fi": _stored(record["fi"])})
        answers.append(answer)
    pb, py = answers
    explain(f"limits {label}", pb, py, difference(pb, py))
