"""Serve a FakeStripe over HTTP on the loopback interface.

    python -m djstripe.testing.server --port 12111 --seed 0 [--populate]

or, in tests::

    with FakeStripeServer(FakeStripe()) as server:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": server.url})

Only 127.0.0.1 is ever bound: the fake has no authentication worth the name.
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .fake import FakeStripe

LOOPBACK = "127.0.0.1"


def _handler_for(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            status, payload, headers = fake.handle(
                self.command, self.path, body, dict(self.headers.items())
            )
            data = json.dumps(payload, indent=2).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            """Quiet: tests and the demo read ``fake.requests`` instead."""

    return Handler


class FakeStripeServer:
    """A loopback HTTP server for ``fake`` running in a background thread."""

    def __init__(self, fake: FakeStripe | None = None, port: int = 0, host: str = LOOPBACK):
        if host != LOOPBACK:
            raise ValueError(f"FakeStripeServer binds {LOOPBACK} only, not {host!r}")
        self.fake = fake or FakeStripe()
        self.httpd = ThreadingHTTPServer((LOOPBACK, port), _handler_for(self.fake))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> FakeStripeServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join()

    def __enter__(self) -> FakeStripeServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake Stripe API on loopback.")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--host", default=LOOPBACK, help="must be 127.0.0.1")
    parser.add_argument(
        "--populate", action="store_true", help="start with sample data (scenarios.py)"
    )
    args = parser.parse_args(argv)
    if args.host != LOOPBACK:
        parser.error(f"refusing to bind {args.host}: only {LOOPBACK} is allowed")
    fake = FakeStripe(seed=args.seed)
    if args.populate:
        from .scenarios import populate

        populate(fake)
    server = FakeStripeServer(fake, port=args.port)
    print(f"Fake Stripe listening on {server.url}", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
