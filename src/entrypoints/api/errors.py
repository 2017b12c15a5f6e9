"""One error shape for every refusal: `{"detail": str, "errors": [{"field", "message"}]}`.

Request bodies are decoded with JSON numbers as `Decimal` (never through binary floats), so
`0.1` reaches the core as exactly 0.1; `NaN` and `Infinity` become the Decimal values and are
refused by validation with the field named."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import pydantic
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.datastructures import MultiValueDict
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.types import DictStrAny

from core.entities import Conflict, DomainError, FieldError, InvalidInput, NotFound
from entrypoints import outage

log = logging.getLogger(__name__)

# Where a parameter came from; dropped from the field name an error reports.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
# The name every view gives its request body parameter; dropped as well.
BODY = "payload"


class MalformedBody(ValueError):
    """The request body is not a JSON document."""


class ExactJsonParser(Parser):
    """JSON with exact decimals. Anything that does not decode is refused (400)."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        try:
            data = json.loads(request.body, parse_float=Decimal, parse_constant=Decimal)
        except RecursionError:
            raise MalformedBody("the JSON document is nested too deeply") from None
        except ValueError as error:  # JSONDecodeError, bad UTF-8, an integer too long
            raise MalformedBody(f"the body is not valid JSON: {error}") from None
        result: DictStrAny = data
        return result

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> DictStrAny:
        """As the framework reads a query, except that a parameter of one value given more
        than once is passed on as the list it is, for validation to refuse (the framework
        would silently keep the last one)."""
        result = super().parse_querydict(data, list_fields, request)
        for key in data:
            if key not in list_fields and len(data.getlist(key)) > 1:
                result[key] = data.getlist(key)
        return result


def problem(
    detail: str, status: int, errors: Iterable[FieldError] = (), **headers: str
) -> JsonResponse:
    response = JsonResponse(
        {"detail": detail, "errors": [{"field": e.field, "message": e.message} for e in errors]},
        status=status,
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def field_name(loc: Sequence[int | str]) -> str:
    """('body', 'payload', 'events', 3, 'amount') -> 'events[3].amount'."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    if parts and parts[0] == BODY:
        parts = parts[1:]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


def pydantic_errors(errors: Iterable[Any]) -> list[FieldError]:
    """pydantic / ninja error dicts as field errors."""
    result = []
    for error in errors:
        message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        message = _PLAIN_MESSAGES.get(str(error.get("type")), message)
        result.append(FieldError(field_name(error.get("loc", ())), message))
    return result


_PLAIN_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this request",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
}

_DOMAIN_STATUS: dict[type[DomainError], tuple[int, str]] = {
    InvalidInput: (422, "The request has invalid fields."),
    NotFound: (404, "Not found."),
    Conflict: (409, "The request conflicts with what is stored."),
}


def install_handlers(api: NinjaAPI) -> None:
    """Every exception an API view can meet becomes a JSON answer of the one error shape."""

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return problem("The request has invalid fields.", 422, pydantic_errors(exc.errors))

    def on_pydantic(request: HttpRequest, exc: pydantic.ValidationError) -> HttpResponse:
        return problem("The request has invalid fields.", 422, pydantic_errors(exc.errors()))

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            "Authentication required: send 'Authorization: Bearer <token>' with a valid token.",
            401,
            WWW_Authenticate="Bearer",
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        cause = exc.__cause__
        if isinstance(cause, MalformedBody):
            return problem("Malformed JSON.", 400, [FieldError("body", str(cause))])
        if isinstance(cause, RequestDataTooBig):
            return too_big(request, cause)
        return problem(exc.message, exc.status_code)

    def too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem("The request body is too large.", 413, [FieldError("body", str(exc))])

    def on_domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        status, detail = next(
            (v for k, v in _DOMAIN_STATUS.items() if isinstance(exc, k)),
            (422, "The request was refused."),
        )
        return problem(detail, status, exc.errors)

    def on_404(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem("Not found.", 404)

    def on_bug(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("API request %s %s failed", request.method, request.path)
        return problem("Internal error.", 500)

    handlers: Sequence[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = (
        (ValidationError, on_validation),
        (pydantic.ValidationError, on_pydantic),
        (AuthenticationError, on_authentication),
        (HttpError, on_http_error),
        (RequestDataTooBig, too_big),
        (DomainError, on_domain),
        (Http404, on_404),
        # The database is down or does not answer: 503 naming it, never a 500.
        *((error, outage.api_response) for error in outage.OUTAGE_ERRORS),
        (Exception, on_bug),
    )
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


def json_errors_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a view so that an error answer that is not JSON (such as the framework's plain
    405 "Method not allowed") is given the one error shape."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:  # raised outside the API's own handlers, e.g. by its root URL
            return not_found(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            replaced = problem(response.reason_phrase, response.status_code)
            for header in ("Allow", "WWW-Authenticate"):
                if header in response:
                    replaced[header] = response[header]
            return replaced
        return response

    wrapped.__dict__.update(view.__dict__)  # keeps csrf_exempt and friends
    wrapped.__name__ = getattr(view, "__name__", "view")
    wrapped.__doc__ = view.__doc__
    return wrapped


@csrf_exempt  # no endpoint here, so no form to protect: a POST gets the JSON 404 too
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any URL under /api/ that names no endpoint, whatever the method."""
    return problem(f"No endpoint at {request.path}.", 404)


# -- the site's error views, for what goes wrong before a view of the API answers -----------


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400 (a Host not allowed, a malformed request): JSON under /api/."""
    if _is_api(request):
        return problem("Bad request.", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403: JSON under /api/."""
    if _is_api(request):
        return problem("Forbidden.", 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: JSON under /api/ (where the API's own URLs answer it already)."""
    if _is_api(request):
        return not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: JSON under /api/."""
    if _is_api(request):
        return problem("Internal error.", 500)
    return defaults.server_error(request)
