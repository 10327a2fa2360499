"""Database URLs: which database a ``--db`` URL names, and how it is shown in messages.

PERF: apart from db_postgres so that a SQLite app never imports psycopg (~22 MB per process).
"""

from __future__ import annotations

from urllib.parse import urlsplit

POSTGRES_SCHEMES = ("postgres", "postgresql", "postgresql+psycopg")


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names a Postgres database."""
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def sqlalchemy_url(url: str) -> str:
    """``postgres://...`` as SQLAlchemy's psycopg 3 URL."""
    _scheme, _, rest = url.partition("://")
    return "postgresql+psycopg://" + rest


def redacted(url: str) -> str:
    """``url`` without its password (for messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
