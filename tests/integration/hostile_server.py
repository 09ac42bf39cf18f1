# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Servers on 127.0.0.1 that misbehave in ways the emulator cannot.

HostileServer writes raw bytes. The first segment of the request path picks the behaviour, so one
server serves every case: with api_url http://127.0.0.1:PORT/trickle, a listing request arrives as
/trickle/v2/kafka/connectors/ID. requests() counts the requests each behaviour received.

ApiDouble acts on the lifecycle module's calls, then fails as each case says.
"""

from __future__ import annotations

import collections
import gzip
import http.server
import json
import re
import socket
import socketserver
import struct
import threading
import time
from urllib.parse import parse_qs, urlsplit

CONNECTOR = {"connector_id": "hostile-1", "name": "hostile", "state": "running", "properties": {"topics": "t"}}


def _head(status="200 OK", headers=(), length=None):
    lines = ["HTTP/1.1 " + status, "Content-Type: application/json", "Connection: close"]
    if length is not None:
        lines.append("Content-Length: %d" % length)
    lines.extend(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _answer(body, status="200 OK", headers=()):
    return _head(status, headers, len(body)) + body


MEMBER_SIZE = 64 * 1024 * 1024


def _gzip_bomb():
    # Concatenated gzip members are one valid gzip stream: 3 MB on the wire, about 3 GiB decompressed.
    member = gzip.compress(b" " * MEMBER_SIZE, compresslevel=9)
    return member * max(1, (3 * 1024 * 1024) // len(member)), len(member)


class HostileServer:
    def __init__(self):
        self._counts = collections.Counter()
        self._lock = threading.Lock()
        self._bomb = None
        handler = self._handler()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def requests(self):
        with self._lock:
            return dict(self._counts)

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def gzip_bomb(self):
        """(the bomb, the size it expands to)."""
        if self._bomb is None:
            bomb, member = _gzip_bomb()
            self._bomb = (bomb, len(bomb) // member * MEMBER_SIZE)
        return self._bomb

    def _handler(self):
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    data = self.request.recv(4096)
                    if not data:
                        return
                    head += data
                path = head.split(b" ", 2)[1].decode("latin-1")
                mode = path.split("/")[1]
                with server._lock:  # pylint: disable=protected-access
                    server._counts[mode] += 1  # pylint: disable=protected-access
                try:
                    getattr(server, "serve_" + mode)(self.request)
                except OSError:
                    pass  # the client hung up, as it should on most of these

        return Handler

    # -- the behaviours -----------------------------------------------------------------------------

    @staticmethod
    def serve_trickle(sock):
        """Headers at once, then one byte of the body a second, for ever."""
        sock.sendall(_head(length=100000) + b"[")
        while True:
            time.sleep(1)
            sock.sendall(b" ")

    @staticmethod
    def serve_trickle_head(sock):
        """The status line and headers, one byte every half second."""
        for byte in _head(length=2):
            sock.sendall(bytes([byte]))
            time.sleep(0.5)
        sock.sendall(b"[]")

    def serve_gzip_bomb(self, sock):
        sock.sendall(_answer(self.gzip_bomb()[0], headers=["Content-Encoding: gzip"]))

    @staticmethod
    def serve_endless_chunked(sock):
        """A chunked answer that never ends, as fast as the client reads."""
        sock.sendall(_head(headers=["Transfer-Encoding: chunked"]) + b"1\r\n[\r\n")
        chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        while True:
            sock.sendall(chunk)

    @staticmethod
    def serve_bad_chunk(sock):
        sock.sendall(_head(headers=["Transfer-Encoding: chunked"]) + b"zz\r\n[]\r\n0\r\n\r\n")

    @staticmethod
    def serve_bad_status(sock):
        sock.sendall(b"HTTP/1.1 two hundred OK\r\nContent-Length: 2\r\n\r\n[]")

    @staticmethod
    def serve_long_header(sock):
        sock.sendall(_answer(b"[]", headers=["X-Padding: " + "x" * 100000]))

    @staticmethod
    def serve_deep_json(sock):
        sock.sendall(_answer(b"[" * 100000 + b"]" * 100000))

    @staticmethod
    def serve_deep_properties(sock):
        nested = '{"n": ' * 1000 + '"x"' + "}" * 1000
        connector = json.dumps(dict(CONNECTOR, properties="NESTED")).replace('"NESTED"', nested)
        sock.sendall(_answer(("[%s]" % connector).encode()))

    @staticmethod
    def serve_bad_redirect(sock):
        sock.sendall(_answer(b"moved", status="302 Found", headers=["Location: http://[::1/v2/kafka/clusters"]))

    @staticmethod
    def serve_lone_surrogate(sock):
        sock.sendall(_answer(b'[{"connector_id": "hostile-1", "name": "bad \\ud800 name", "state": "running"}]'))

    @staticmethod
    def serve_invalid_utf8(sock):
        sock.sendall(_answer(b'[{"connector_id": "hostile-1", "name": "bad \xff\xfe name", "state": "running"}]'))

    @staticmethod
    def serve_numeric_cluster_id(sock):
        sock.sendall(_answer(b'[{"cluster_id": 42, "name": "numbered"}, {"cluster_id": "c-2", "name": "other"}]'))


class ApiDouble:
    """A stand-in for the API that acts on what it is sent, then misbehaves as a case tells it.

    The test puts every case in cases, by label: {"label", "connectors", "faults"}: the connectors of
    cluster c-1, and faults, each {"method", "path" (a regular expression the whole path matches),
    "count" (default 1, -1 for ever), "act" (carry the request out first), "do": "drop", "reset",
    "delay" (then answer as usual), "hang" or "answer" ("status", "body", "headers")}. The playbook
    starts each with GET /_double/case?label=... (a url lookup: no module process per case).
    log holds every API request: the case's label, method, path, body and time.time(); started, when each case began.
    """

    def __init__(self):
        double = self
        self.log, self.connectors, self.faults, self.label, self.started, self.cases = [], {}, [], "", {}, {}
        self._lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body, headers=()):
                data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
                self.send_response(status)
                for header in (("Content-Type", "application/json"), ("Content-Length", str(len(data)))) + tuple(headers):
                    self.send_header(*header)
                self.end_headers()
                self.wfile.write(data)

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                if self.path.startswith("/_double/case?"):
                    double.start_case(double.cases[parse_qs(urlsplit(self.path).query)["label"][0]])
                    return self._send(200, "{}")
                fault = double.take_fault(self.command, self.path, body) or {"do": None}
                if fault["do"] == "delay":
                    time.sleep(fault["seconds"])
                if fault["do"] in (None, "delay") or fault.get("act"):
                    answer = double.act(self.command, self.path, body)
                if fault["do"] in (None, "delay"):
                    return self._send(*answer)
                self.close_connection = True
                if fault["do"] == "answer":
                    return self._send(fault["status"], fault.get("body", ""), fault.get("headers", {}).items())
                if fault["do"] == "hang":
                    time.sleep(fault.get("seconds", 60))
                if fault["do"] == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                return None

            do_GET = do_POST = do_DELETE = _serve

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None
        self.url = "http://127.0.0.1:%d" % self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def start_case(self, case):
        with self._lock:
            self.label, self.started[case["label"]] = case["label"], time.time()
            self.connectors = dict((item.get("connector_id", item.get("name")), dict(item, cluster_id="c-1"))
                                   for item in case.get("connectors", []))
            self.faults = [dict(fault, count=fault.get("count", 1)) for fault in case.get("faults", [])]

    def take_fault(self, method, path, body):
        with self._lock:
            self.log.append(dict(label=self.label, method=method, path=path, body=body, time=time.time()))
            for fault in self.faults:
                if fault["count"] and fault.get("method", method) == method and re.fullmatch(fault["path"], path):
                    fault["count"] -= 1
                    return fault
        return None

    def act(self, method, path, body):
        """(status, body) of the API's answer; creating, reconfiguring, deleting and acting change the connectors."""
        parts = path.split("/")[3:]  # after /v2/kafka
        with self._lock:
            connector = self.connectors.get(parts[1]) if len(parts) > 1 else None
            if parts == ["connectors", "c-1"]:
                return 200, list(self.connectors.values())
            if parts == ["connector"] and method == "POST":
                connector = dict(connector_id="dbl-" + body["name"], name=body["name"], cluster_id="c-1", state="pending",
                                 properties=body["properties"], tasks=[])
                self.connectors[connector["connector_id"]] = connector
                return 200, connector
            if connector is None:
                return 404, {"error": "connector not found"}
            if parts[0] == "update-connector":
                connector["properties"] = dict(connector.get("properties") or {}, **body)
            elif method == "DELETE":
                del self.connectors[parts[1]]
                return 200, '"OK"'
            elif len(parts) == 3:
                connector["state"] = "paused" if parts[2] == "pause" else "running"
                return 200, '"OK"'
            return 200, connector
