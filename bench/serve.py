"""The project's WSGI application on a real HTTP server (wsgiref, one thread):
`python -m bench.serve DB PORT`."""

from __future__ import annotations

import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

from bench.setup import configure


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    configure(sys.argv[1])
    from django.core.wsgi import get_wsgi_application

    make_server(
        "127.0.0.1", int(sys.argv[2]), get_wsgi_application(), handler_class=_Quiet
    ).serve_forever()


if __name__ == "__main__":
    main()
