"""An uploaded file read from a multipart form, for the API and the dashboard alike."""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["MAX_UPLOAD", "UploadError", "read_upload"]

MAX_UPLOAD = 25 * 1024 * 1024
"""The largest file accepted, in bytes (a scanned invoice is rarely above a few MB)."""


class UploadError(ValueError):
    """An upload refused: the HTTP status and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


async def read_upload(request: Request, field: str = "file") -> tuple[bytes, str]:
    """The bytes and file name of the multipart ``field``; UploadError when missing or bad."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UploadError(415, "send the file as multipart/form-data in the field "
                               f"{field!r}")
    form = await request.form()
    upload = form.get(field)
    if upload is None or isinstance(upload, str):
        raise UploadError(400, f"no file in the form field {field!r}")
    content = await upload.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise UploadError(413, f"{upload.filename or 'the file'} is larger than "
                               f"{MAX_UPLOAD // (1024 * 1024)} MB")
    if not content:
        raise UploadError(400, f"{upload.filename or 'the file'} is empty")
    return content, (upload.filename or "upload").rsplit("/", 1)[-1]
