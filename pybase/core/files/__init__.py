"""Record files: where they are stored, how uploads land there and when old ones go.

- A record's files live under ``<collectionId>/<recordId>/<name>``; the thumbnails of a file
  under ``<collectionId>/<recordId>/thumbs_<name>/<size>_<name>`` (PocketBase's layout).
- The storage is ``pb_data/storage`` or, when settings ``s3.enabled``, the S3 bucket.
- Uploads are written during the record's write transaction (after validation, before the
  row); a rolled back write deletes them again. Replaced and removed files, and the files of
  deleted records, are deleted only after the commit.
- Reads fall back to the other backend (local when S3 is on, the configured bucket when it is
  off), so files stored before a switch stay reachable.
"""

from pybase.core.files.service import (
    METADATA_ORIGINAL_NAME,
    FilesService,
    record_dir,
    thumb_key,
)

__all__ = ["METADATA_ORIGINAL_NAME", "FilesService", "record_dir", "thumb_key"]
