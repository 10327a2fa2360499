"""Events of the files API hooks (onFileDownloadRequest, onFileTokenRequest)."""

from __future__ import annotations

from typing import Any

from pybase.core.events import RecordRequestEvent


class FileDownloadRequestEvent(RecordRequestEvent):
    """A file is about to be served: ``served_path``/``served_name`` may be changed by a hook.

    ``file_field`` is the field holding the file; ``thumb_error`` says why a thumbnail asked for
    was not served (the original is served then).
    """

    file_field: Any = None
    served_path: str = ""
    served_name: str = ""
    thumb_error: BaseException | None = None


class FileTokenRequestEvent(RecordRequestEvent):
    """A file token was made for ``record`` (the caller); ``token`` may be changed by a hook."""

    token: str = ""
