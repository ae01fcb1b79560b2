"""The local stack's HTTP server: `chalice local`'s, answering a method it has no handler for as API
Gateway's edge would refuse it, with a 405 and an Allow header, instead of http.server's 501 page."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalice.local import ChaliceRequestHandler, LocalDevServer

# What `chalice local` hands to the app (ChaliceRequestHandler's do_* methods).
ALLOWED_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
# A refused request's body is read (so the connection can carry the next request) up to this much.
MAX_DRAINED_BYTES = 1024 * 1024


class HubRequestHandler(ChaliceRequestHandler):
    def __getattr__(self, name: str) -> Callable[[], None]:
        # http.server looks up `do_<METHOD>` and answers 501 when there is none (TRACE, CONNECT, PROPFIND…).
        if name.startswith("do_"):
            return self._method_not_allowed
        raise AttributeError(name)

    def _method_not_allowed(self) -> None:
        self._drain_body()
        body = json.dumps(
            {
                "error": "method_not_allowed",
                "message": f"The hub does not answer {self.command[:20]} requests: use one of {', '.join(ALLOWED_METHODS)}",
            }
        ).encode()
        self.send_response(405)
        self.send_header("Allow", ", ".join(ALLOWED_METHODS))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _drain_body(self) -> None:
        try:
            length = int(self.headers.get("content-length", "0"))
        except ValueError:
            length = -1
        if 0 < length <= MAX_DRAINED_BYTES:
            self.rfile.read(length)
        elif length != 0:
            self.close_connection = True  # an unread body would be taken for the next request


def dev_server(app: Any, config: Any, host: str, port: int) -> LocalDevServer:
    """`chalice local`'s threaded server over the app, with the handler above."""
    return LocalDevServer(app, config, host, port, handler_cls=HubRequestHandler)
