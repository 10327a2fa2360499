"""Rate limits from ``settings.rateLimits``, as PocketBase applies them.

A rule's ``label`` is a path (``/api/batch``), a path prefix ending in ``/`` (``/api/``), a method
and path (``POST /api/batch``), or a collection action tag (``users:create``, ``*:auth``); its
``audience`` is ``""`` (everyone), ``@guest`` or ``@auth``. Every request is checked against the
path rules; the records and auth routes check their collection's tags too (``list``, ``view``,
``create``, ``update``, ``delete``, ``authWithPassword`` + ``auth``...). Superusers and the
``excludedIPs`` are never limited. Over the limit: 429, PocketBase's body.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis.client_ip import real_ip
from pybase.apis.errors import ApiError
from pybase.apis.middleware import SUB_REQUEST_ENV
from pybase.tools.ratelimit import RateLimiter, ip_in_list

if TYPE_CHECKING:
    from pybase.core.app import App
    from pybase.core.collections import Collection

AUDIENCE_ALL, AUDIENCE_GUEST, AUDIENCE_AUTH = "", "@guest", "@auth"
CLEANUP_JOB = "__pbRateLimitersCleanup__"
# Routes that check their collection's limits (PocketBase unbinds the path limiter from them).
_COLLECTION_ROUTE = re.compile(
    r"^/api/collections/[^/]+/(?:records(?:/[^/]+)?|auth-methods|auth-refresh|auth-with-[\w-]+"
    r"|request-[\w-]+|confirm-[\w-]+)$"
)


@dataclass(frozen=True)
class Rule:
    label: str
    audience: str
    duration: int
    max_requests: int


@dataclass(frozen=True)
class _Config:
    enabled: bool
    rules: tuple[Rule, ...]
    excluded: tuple[str, ...]


class RateLimits:
    """The app's limiters, one per rule bucket; all dropped when the settings change."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._seen: Any = None
        self._config = _Config(False, (), ())
        self._limiters: dict[str, RateLimiter] = {}

    def config(self) -> _Config:
        live = self.app.settings_store.live()
        if live is not self._seen:
            with self._lock:
                section = live.get("rateLimits") or {}
                rules = tuple(
                    Rule(str(r.get("label") or ""), str(r.get("audience") or ""), int(r.get("duration") or 0), int(r.get("maxRequests") or 0))
                    for r in section.get("rules") or ()
                )
                self._config = _Config(bool(section.get("enabled")), rules, tuple(section.get("excludedIPs") or ()))
                self._limiters = {}
                self._seen = live
        return self._config

    def check_request(self, req: falcon.Request) -> None:
        """The path rules (``METHOD /path`` and ``/path``)."""
        config = self.config()
        if self._skip(config, req):
            return
        rule = _find(config.rules, _path_labels(req), _audiences(req))
        if rule is not None:
            self._consume(req, rule, rule.label + rule.audience)

    def check_collection(self, req: falcon.Request, collection: Collection, *tags: str) -> None:
        """The collection's action tags (``posts:create``, ``*:create``), then the path rules."""
        config = self.config()
        if self._skip(config, req):
            return
        labels = [f"{collection.name}:{tag}" for tag in tags] + [f"*:{tag}" for tag in tags] + _path_labels(req)
        rule = _find(config.rules, labels, _audiences(req))
        if rule is not None:
            bucket = collection.id + f"{req.method} {req.uri_template or req.path}" + "".join(tags)
            self._consume(req, rule, bucket + rule.audience)

    @staticmethod
    def _skip(config: _Config, req: falcon.Request) -> bool:
        auth = req.context.auth
        return (
            not config.enabled
            or (auth is not None and auth.collection.is_superusers)
            or ip_in_list(real_ip(req), list(config.excluded))
        )

    def _consume(self, req: falcon.Request, rule: Rule, bucket: str) -> None:
        auth = req.context.auth
        if (rule.audience == AUDIENCE_GUEST and auth is not None) or (rule.audience == AUDIENCE_AUTH and auth is None):
            return
        limiter = self._limiters.get(bucket)
        if limiter is None:
            with self._lock:
                # NOTE: with several worker processes the counts are shared (app.rate_windows).
                limiter = self._limiters.setdefault(
                    bucket, RateLimiter(rule.max_requests, rule.duration, shared=self.app.rate_windows, name=bucket),
                )
            self._schedule_cleanup()
        key = real_ip(req)
        if key and not limiter.allow(key):
            raise ApiError(429)

    def _schedule_cleanup(self) -> None:
        cron = self.app.cron
        if not any(job.id == CLEANUP_JOB for job in cron.jobs()):
            # NOTE: as PocketBase: a few minutes past the hour, after the other cleanups.
            cron.add(CLEANUP_JOB, "2 * * * *", self._clean)

    def _clean(self) -> None:
        for limiter in list(self._limiters.values()):
            limiter.clean()


def _path_labels(req: falcon.Request) -> list[str]:
    return [f"{req.method} {req.path}", req.path]


def _audiences(req: falcon.Request) -> tuple[str, str]:
    return (AUDIENCE_ALL, AUDIENCE_AUTH) if req.context.auth is not None else (AUDIENCE_ALL, AUDIENCE_GUEST)


def _find(rules: tuple[Rule, ...], labels: list[str], audiences: tuple[str, ...]) -> Rule | None:
    """The first rule matching a label exactly, else (for the first label's path) by prefix."""
    prefix_rules = [r for r in rules if r.label.endswith("/")]
    for label in labels:
        for rule in rules:
            if rule.label == label and rule.audience in audiences:
                return rule
        for rule in prefix_rules:
            if (label + "/").startswith(rule.label) and rule.audience in audiences:
                return rule
    return None


def check_collection(req: falcon.Request, collection: Collection, *tags: str) -> None:
    """Check the collection's rate limits for this request (set up by the middleware)."""
    limits: RateLimits | None = getattr(req.context, "rate_limits", None)
    if limits is not None:
        limits.check_collection(req, collection, *tags)


class RateLimitMiddleware:
    """Checks the path rules of every request (after its auth is known)."""

    def __init__(self, app: App) -> None:
        self.limits = RateLimits(app)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.rate_limits = self.limits
        # NOTE: as PocketBase: the records and auth routes (and a batch's sub-requests) meet
        # their collection's limits instead of the path rules.
        if req.method != "OPTIONS" and not req.env.get(SUB_REQUEST_ENV) and not _COLLECTION_ROUTE.match(req.path):
            self.limits.check_request(req)
