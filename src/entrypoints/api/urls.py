"""Mounted at /api/: version 1 of the API, and a JSON 404 for any other URL below /api/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path

from entrypoints.api.errors import json_errors_only, not_found
from entrypoints.api.views import api


def _json_errors(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern = URLPattern(
                pattern.pattern,
                json_errors_only(pattern.callback),
                pattern.default_args,
                pattern.name,
            )
        wrapped.append(pattern)
    return wrapped


_v1, _app_name, _namespace = api.urls

urlpatterns: list[URLPattern | URLResolver] = [
    # The version's root names no endpoint (the framework would answer it with HTML).
    path("v1/", not_found),
    path("v1/", include((_json_errors(_v1), _app_name), namespace=_namespace)),
    re_path(r"^.*$", not_found),
]
