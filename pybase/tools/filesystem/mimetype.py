"""Content type detection from a file's first bytes (the types PocketBase's detector names).

Only the head of a file is looked at (:data:`HEAD_SIZE` bytes, as the Go ``mimetype`` library
PocketBase uses), so a 1 GB upload is classified without reading it.
"""

from __future__ import annotations

import json

HEAD_SIZE = 3072
OCTET_STREAM = "application/octet-stream"

# (prefix, offset, mime, extension)
_MAGIC: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", ".png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", ".jpg"),
    (b"GIF87a", 0, "image/gif", ".gif"),
    (b"GIF89a", 0, "image/gif", ".gif"),
    (b"BM", 0, "image/bmp", ".bmp"),
    (b"\x00\x00\x01\x00", 0, "image/x-icon", ".ico"),
    (b"II*\x00", 0, "image/tiff", ".tiff"),
    (b"MM\x00*", 0, "image/tiff", ".tiff"),
    (b"%PDF-", 0, "application/pdf", ".pdf"),
    (b"\x1f\x8b", 0, "application/gzip", ".gz"),
    (b"7z\xbc\xaf\x27\x1c", 0, "application/x-7z-compressed", ".7z"),
    (b"Rar!\x1a\x07", 0, "application/x-rar-compressed", ".rar"),
    (b"\x1aE\xdf\xa3", 0, "video/webm", ".webm"),
    (b"ID3", 0, "audio/mpeg", ".mp3"),
    (b"\xff\xfb", 0, "audio/mpeg", ".mp3"),
    (b"OggS", 0, "application/ogg", ".ogg"),
    (b"fLaC", 0, "audio/flac", ".flac"),
    (b"SQLite format 3\x00", 0, "application/vnd.sqlite3", ".sqlite"),
    (b"\x7fELF", 0, "application/x-elf", ""),
    (b"wOFF", 0, "font/woff", ".woff"),
    (b"wOF2", 0, "font/woff2", ".woff2"),
)

_ALIASES: dict[str, tuple[str, ...]] = {
    "application/zip": ("application/x-zip", "application/x-zip-compressed"),
    "audio/wav": ("audio/x-wav", "audio/vnd.wave", "audio/wave"),
    "audio/mpeg": ("audio/x-mpeg", "audio/mp3", "audio/x-mp3"),
    "image/x-icon": ("image/vnd.microsoft.icon",),
    "application/gzip": ("application/x-gzip", "application/x-gunzip", "application/gzipped"),
    "application/pdf": ("application/x-pdf",),
    "image/jpeg": ("image/jpg", "image/pjpeg"),
    "text/xml": ("application/xml",),
    "application/json": (),
}

_OOXML = (
    (b"word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    (b"xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    (b"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
)

_FTYP: dict[bytes, tuple[str, str]] = {
    b"qt  ": ("video/quicktime", ".mov"),
    b"3gp": ("video/3gpp", ".3gp"),
    b"3g2": ("video/3gpp", ".3gp"),
    b"M4A ": ("audio/x-m4a", ".m4a"),
    b"M4B ": ("audio/x-m4a", ".m4a"),
    b"avif": ("image/avif", ".avif"),
    b"avis": ("image/avif", ".avif"),
    b"heic": ("image/heic", ".heic"),
    b"heix": ("image/heic", ".heic"),
    b"mif1": ("image/heic", ".heic"),
}

_HTML_TAGS = (
    b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div", b"<font",
    b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p", b"<!--",
)  # fmt: skip
_BINARY = frozenset([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])


def detect_with_extension(head: bytes) -> tuple[str, str]:
    """The content type of a file starting with ``head`` and its usual extension ("" if none)."""
    head = head[:HEAD_SIZE]
    for prefix, offset, mime, ext in _MAGIC:
        if head[offset : offset + len(prefix)] == prefix:
            return mime, ext
    if head[:4] == b"RIFF" and len(head) >= 12:
        kind = head[8:12]
        if kind == b"WEBP":
            return "image/webp", ".webp"
        if kind == b"WAVE":
            return "audio/wav", ".wav"
        if kind == b"AVI ":
            return "video/x-msvideo", ".avi"
    if head[4:8] == b"ftyp" and len(head) >= 12:
        return _FTYP.get(head[8:12], _FTYP.get(head[8:11], ("video/mp4", ".mp4")))
    if head[:4] == b"PK\x03\x04":
        for marker, mime, ext in _OOXML:
            if marker in head:
                return mime, ext
        return "application/zip", ".zip"
    return _detect_text(head)


def _detect_text(head: bytes) -> tuple[str, str]:
    if not head:
        return "text/plain", ".txt"
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if any(b in _BINARY for b in body):
        return OCTET_STREAM, ""
    stripped = body.lstrip(b" \t\r\n").lower()
    if stripped.startswith(b"<?xml"):
        if b"<svg" in stripped:
            return "image/svg+xml", ".svg"
        return "text/xml; charset=utf-8", ".xml"
    if stripped.startswith(b"<svg"):
        return "image/svg+xml", ".svg"
    for tag in _HTML_TAGS:
        if stripped.startswith(tag) and stripped[len(tag) : len(tag) + 1] in (b" ", b">"):
            return "text/html; charset=utf-8", ".html"
    if stripped[:1] in (b"{", b"[") and len(head) < HEAD_SIZE:
        try:
            json.loads(body)
            return "application/json", ".json"
        except ValueError:
            pass
    try:
        body.decode("utf-8")
        charset = "utf-8"
    except UnicodeDecodeError as ex:
        # NOTE: a multi-byte character cut by the head limit still reads as UTF-8.
        charset = "utf-8" if ex.start >= len(body) - 3 and len(head) >= HEAD_SIZE else "iso-8859-1"
    return f"text/plain; charset={charset}", ".txt"


def detect(head: bytes) -> str:
    """The content type of a file starting with ``head``."""
    return detect_with_extension(head)[0]


def is_mime(detected: str, wanted: str) -> bool:
    """Whether ``detected`` is ``wanted`` (parameters ignored, known aliases accepted)."""
    base = detected.split(";", 1)[0].strip().lower()
    want = wanted.split(";", 1)[0].strip().lower()
    return base == want or want in _ALIASES.get(base, ())
