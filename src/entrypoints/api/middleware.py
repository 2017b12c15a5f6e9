"""What a request under /api/ must be before any view reads it.

A request with a body must send it as JSON (`application/json` or `application/*+json`, in
UTF-8): anything else, a form or XML included, is refused with 415 rather than read as JSON.
A body sent in chunks (`Transfer-Encoding: chunked`, no `Content-Length`) is read when the
WSGI server says its input ends where the body ends (`wsgi.input_terminated`, which gunicorn
sets), up to DATA_UPLOAD_MAX_MEMORY_SIZE (413 beyond); a server that cannot say so gets 411,
because Django would otherwise read such a body as empty."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from core.entities import FieldError
from entrypoints.api.errors import not_found, problem

API_PREFIX = "/api/"
_READ_SIZE = 64 * 1024


class ApiRequestBodyMiddleware:
    """Refuses bodies that are not JSON (415) and reads chunked ones (or answers 411),
    for the URLs under /api/ that name an endpoint (any other answers its JSON 404)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX) or _names_no_endpoint(request):
            return self.get_response(request)
        chunked = _is_chunked(request)
        if not chunked and _content_length(request) == 0:
            return self.get_response(request)  # no body, so no type to check
        refusal = _content_type_refusal(request.META.get("CONTENT_TYPE", ""))
        if refusal is not None:
            return refusal
        if chunked and isinstance(request, WSGIRequest):
            if not request.environ.get("wsgi.input_terminated"):
                return problem(
                    "Length required: this server cannot read a chunked body to its end.",
                    411,
                    [FieldError("Content-Length", "is required (send the body with its length)")],
                )
            body = _read_to_end(request)
            if body is None:
                return _too_large()
            read = _with_body(request, body)
            response = self.get_response(read)
            # The middleware outside this one still holds the first request: tell it who
            # the token named, for the request log.
            if hasattr(read, "auth"):
                request.auth = read.auth  # type: ignore[attr-defined]
            return response
        return self.get_response(request)


def _names_no_endpoint(request: HttpRequest) -> bool:
    try:
        return resolve(request.path_info).func is not_found
    except Resolver404:
        return True


def _is_chunked(request: HttpRequest) -> bool:
    encoding = str(request.META.get("HTTP_TRANSFER_ENCODING", "")).lower()
    return "chunked" in encoding and not request.META.get("CONTENT_LENGTH")


def _content_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0  # as Django reads it


def _content_type_refusal(header: str) -> HttpResponse | None:
    """None for a JSON media type in UTF-8, else the 415 answer naming the header."""
    media_type, *parameters = (part.strip() for part in header.split(";"))
    media_type = media_type.lower()
    kind, _, subtype = media_type.partition("/")
    is_json = kind == "application" and (subtype == "json" or subtype.endswith("+json"))
    charsets = [
        value.strip().strip('"').lower()
        for name, _, value in (p.partition("=") for p in parameters)
        if name.strip().lower() == "charset"
    ]
    if is_json and all(charset in ("utf-8", "utf8") for charset in charsets):
        return None
    if not header.strip():
        message = "is required for a request body, and must be application/json"
    elif is_json:
        message = f"'{header}' names a charset other than UTF-8; JSON is read as UTF-8"
    else:
        message = f"'{header}' is not JSON; send the body as application/json"
    return problem(
        "Unsupported media type: the request body must be JSON.",
        415,
        [FieldError("Content-Type", message)],
    )


def _read_to_end(request: WSGIRequest) -> bytes | None:
    """The whole chunked body, or None once it grows past the upload limit."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    stream = request.environ["wsgi.input"]
    body = bytearray()
    while True:
        piece = stream.read(_READ_SIZE)
        if not piece:
            return bytes(body)
        body += piece
        if limit is not None and len(body) > limit:
            return None


def _too_large() -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return problem(
        "The request body is too large.",
        413,
        [FieldError("body", f"must be at most {limit} bytes")],
    )


def _with_body(request: WSGIRequest, body: bytes) -> WSGIRequest:
    """The same request with its body read: from here on it has a length like any other."""
    environ = {
        key: value for key, value in request.environ.items() if key != "HTTP_TRANSFER_ENCODING"
    }
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return WSGIRequest(environ)
