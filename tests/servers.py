"""Real servers on 127.0.0.1 for notification tests: an HTTP server that records POSTs (and can be told to fail or
to hang), and a small SMTP server (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) that records messages."""

from __future__ import annotations

import base64
import json
import socketserver
import threading
import time
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up on a hanging answer (escalate's timeout) is no error of the server's. The
        default prints a traceback to whatever stderr is captured then: a test's output, one run in several."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class HookServer:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.fail_next = 0  # answer this many requests with 500 first
        self.hang = 0.0  # seconds to sleep before answering
        self.redirect: tuple[int, str] | None = None  # answer every POST with this status and Location
        self.gets: list[dict] = []  # GET requests (what a followed redirect would send)
        self.retry_after: str | None = None  # with fail_next: answer 429 with this Retry-After instead of 500
        self.posts = 0  # POSTs seen, answered or not
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.gets.append({"path": self.path, "headers": dict(self.headers)})
                self.send_response(200)
                self.end_headers()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.posts += 1
                if owner.redirect is not None:
                    self.send_response(owner.redirect[0])
                    self.send_header("Location", owner.redirect[1])
                    self.end_headers()
                    return
                if owner.hang:
                    time.sleep(owner.hang)
                if owner.fail_next > 0:
                    owner.fail_next -= 1
                    self.send_response(500 if owner.retry_after is None else 429)
                    if owner.retry_after is not None:
                        self.send_header("Retry-After", owner.retry_after)
                    self.end_headers()
                    return
                owner.received.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/escalate"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpServer:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.logins: list[tuple[str, str]] = []
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 localhost ESMTP test")
                envelope: list[str] = []
                while line := self.rfile.readline():
                    command = line.decode().strip()
                    verb = command.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.wfile.write(b"250-localhost\r\n250 AUTH PLAIN\r\n")
                    elif verb == "AUTH":
                        _, user, password = base64.b64decode(command.split()[2]).split(b"\0")
                        owner.logins.append((user.decode(), password.decode()))
                        self.reply("235 2.7.0 Authentication successful")
                    elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                        envelope.append(command)
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        owner.messages.append(message_from_bytes(data))
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
