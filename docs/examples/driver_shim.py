#!/usr/bin/env python3
"""A small Lockstep driver-protocol shim, Python standard library only.

It listens where `lockstep run --target URL` will call it and answers the
driver protocol (docs/driver-protocol.md) by calling an MDM's own API. Here
that MDM is `lockstep mdm serve`, which happens to speak the protocol
already, so most operations are passed through as they are; a real shim
replaces the body of `call_mdm` (or of one operation's handler) with calls
to its product's API, and translates the answers.

What the shim itself must get right, whatever the product:
  * the route table: every operation of the protocol, and nothing else;
    an unknown path is 404 NOT_FOUND, a known path with another method is
    405 METHOD_NOT_ALLOWED, both in the protocol's error envelope;
  * the error envelope {"error": {"code": ..., "message": ...}} on every
    refusal, with the protocol's status and code (the table in
    docs/driver-protocol.md), never the product's own error format;
  * Authorization: Bearer <token> passed on (or mapped to the product's
    session), and the query string (user_email, page_size, page_token...).

Run:  python3 driver_shim.py --listen 127.0.0.1:8700 --mdm http://127.0.0.1:8600
Then: lockstep target check http://127.0.0.1:8700
"""

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/lockstep/v1"

# Every operation of the driver protocol: (method, path pattern). A real
# shim gives each its own translation; this one passes them through.
OPERATIONS = [
    ("GET", r"/about"),
    ("POST", r"/accounts"),
    ("POST", r"/clock:advance"),
    ("POST", r"/sessions"),
    ("GET", r"/sessions/current"),
    ("DELETE", r"/sessions/current"),
    ("POST", r"/enrollments"),
    ("GET", r"/devices"),
    ("GET", r"/devices/[^/]+"),
    ("GET", r"/devices/[^/]+/security"),
    ("POST", r"/devices/[^/]+/reset-passcode:preview"),
    ("POST", r"/devices/[^/]+/reset-passcode"),
    ("POST", r"/devices/[^/]+/lock"),
    ("POST", r"/actions:batch"),
    ("GET", r"/actions"),
    ("GET", r"/actions/[^/]+"),
    ("POST", r"/actions/[^/]+/cancel"),
    ("GET", r"/portal/devices"),
    ("GET", r"/portal/devices/[^/]+"),
    ("POST", r"/portal/devices/[^/]+/reset-passcode"),
    ("GET", r"/portal/notifications"),
]
ROUTES = [(m, re.compile(p + r"\Z")) for m, p in OPERATIONS]

# Product paths the shim passes on untouched: the MDM's Pub/Sub push
# endpoint (the AMAPI mock pushes there unless --push-endpoint says otherwise).
PASS_THROUGH = ["/amapi/pubsub"]


def error(status, code, message):
    """The protocol's error envelope."""
    return status, {"error": {"code": code, "message": message}}


class Shim(BaseHTTPRequestHandler):
    mdm = "http://127.0.0.1:8600"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet; a shim logs what it needs
        pass

    def handle_any(self):
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if path in PASS_THROUGH:
            return self.relay(*self.call_mdm(self.command, self.path, body, raw=True))
        if not path.startswith(PREFIX):
            return self.reply(*error(404, "NOT_FOUND", "There is no such endpoint."))
        operation = path[len(PREFIX):]
        methods = [m for m, pattern in ROUTES if pattern.match(operation)]
        if not methods:
            return self.reply(*error(404, "NOT_FOUND", "There is no such endpoint."))
        if self.command not in methods:
            return self.reply(*error(405, "METHOD_NOT_ALLOWED", f"{operation} does not take {self.command}."))
        self.relay(*self.call_mdm(self.command, self.path, body))

    def call_mdm(self, method, path, body, raw=False):
        """Ask the product. Here: the same call to `lockstep mdm serve`."""
        request = urllib.request.Request(self.mdm + path, data=body or None, method=method)
        for header in ("Authorization", "Content-Type"):
            if self.headers.get(header):
                request.add_header(header, self.headers[header])
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read(), answer.headers.get("Content-Type")
        except urllib.error.HTTPError as refused:
            # The product refused: the protocol's refusals are passed on as
            # they are (a real shim maps its product's errors to the table
            # of codes in docs/driver-protocol.md here).
            return refused.code, refused.read(), refused.headers.get("Content-Type")
        except (urllib.error.URLError, OSError) as down:
            envelope = {"error": {"code": "INTERNAL", "message": f"The MDM did not answer: {down}"}}
            return 500, json.dumps(envelope).encode(), "application/json"

    def reply(self, status, value):
        self.relay(status, json.dumps(value).encode(), "application/json")

    def relay(self, status, data, content_type):
        self.send_response(status)
        if data:
            self.send_header("Content-Type", content_type or "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:8700", help="HOST:PORT to serve the driver protocol on")
    parser.add_argument("--mdm", default="http://127.0.0.1:8600", help="the MDM's base URL")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    Shim.mdm = args.mdm.rstrip("/")
    server = ThreadingHTTPServer((host, int(port)), Shim)
    print(f"driver-protocol shim on http://{host}:{server.server_port} -> {Shim.mdm}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
