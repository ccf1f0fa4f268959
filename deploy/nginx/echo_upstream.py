#!/usr/bin/env python3
"""Tiny HTTP upstream for the nginx smoke test: answers every request with a JSON echo of
the method, path and headers it received, plus the name it was started with.
Started with the name `drop`, it reads each request and closes the connection without an
answer (a replica dying mid-request).

Usage: echo_upstream.py PORT NAME     (serves on 127.0.0.1:PORT until killed)
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_name_tag = "upstream"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.server_name_tag == "drop":
            self.close_connection = True
            return
        body = json.dumps(
            {
                "upstream": self.server_name_tag,
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass


def main() -> None:
    port, name = int(sys.argv[1]), sys.argv[2]
    Echo.server_name_tag = name
    ThreadingHTTPServer(("127.0.0.1", port), Echo).serve_forever()


if __name__ == "__main__":
    main()
