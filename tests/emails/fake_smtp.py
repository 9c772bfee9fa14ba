"""A mail server on 127.0.0.1 that speaks enough SMTP for Django's backend, and answers what a test
tells it to at RCPT and DATA (e.g. 550 for an unknown mailbox, 451 for greylisting)."""

import socketserver
import threading


class FakeSMTP:
    def __init__(self, *, rcpt_reply: str = "250 OK", data_reply: str = "250 OK queued"):
        self.rcpt_reply = rcpt_reply
        self.data_reply = data_reply
        self.messages: list[bytes] = []
        self._server: socketserver.ThreadingTCPServer | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> "FakeSMTP":
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self):
                self.reply("220 fake.test ESMTP")
                while line := self.rfile.readline():
                    verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 fake.test")
                    elif verb == "RCPT":
                        self.reply(fake.rcpt_reply)
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        body = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            body += chunk
                        fake.messages.append(body)
                        self.reply(fake.data_reply)
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    elif verb in ("MAIL", "RSET", "NOOP"):
                        self.reply("250 OK")
                    else:
                        self.reply("502 Command not implemented")

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
