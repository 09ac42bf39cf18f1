# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A hostile HTTP server on 127.0.0.1 that echoes the credentials it is sent, in every disguise.

It reads the e-mail and API key from the request's own Authorization header, so it echoes whatever the
client really sent. The cluster id of ``GET /v2/kafka/connectors/<channel>__<form>`` picks the case:
``form`` is one of FORMS (how the credential is written) and ``channel`` one of CHANNELS (where in the
answer it goes). The server writes raw bytes, so status lines and headers can be as broken as needed.
"""

from __future__ import annotations

import base64
import html
import json
import socketserver
import threading
from urllib.parse import quote, unquote, urlencode

# The 200-character cut of a message: a form placed across it is cut in its middle.
CUT = 200


def per_char_percent(text):
    return "".join("%%%02X" % byte for byte in text.encode("utf-8"))


def per_char_unicode(text):
    return "".join("\\u%04x" % ord(char) for char in text)


def echo_forms(email, api_key):
    """Every way this server writes the credentials: {form name: text}."""
    pair = base64.b64encode(("%s:%s" % (email, api_key)).encode("utf-8")).decode("ascii")
    alone = base64.b64encode(api_key.encode("utf-8")).decode("ascii")
    return {
        "raw": api_key,
        "basic": "Authorization: Basic " + pair,
        "pair": pair,
        "pair_unpadded": pair.rstrip("="),
        "bearer_pair": "Bearer " + pair,
        "bearer_key64": "Bearer " + alone.rstrip("="),
        "mime": base64.encodebytes(("%s:%s" % (email, api_key * 3)).encode("utf-8")).decode("ascii"),
        "url_basic": "authorization=Basic%20" + quote(pair, safe=""),
        "url_form": urlencode({"authorization": "Basic " + pair, "api_key": api_key}),
        "url_per_char": per_char_percent(api_key),
        "json_unicode": per_char_unicode(api_key),
        "json_slash": json.dumps(pair)[1:-1].replace("/", "\\/"),
        "html": html.escape(api_key),
        "newline_split": api_key[:7] + "\n" + api_key[7:],
        "cut_raw": "x" * (CUT - 12) + api_key,
        "cut_escaped": "x" * (CUT - 12) + per_char_unicode(api_key),
    }


def _single_line(text):
    return " ".join(text.split("\n")).strip()


def _response(status_line, headers, body=b""):
    head = [status_line] + ["%s: %s" % item for item in headers] + ["Content-Length: %d" % len(body), "Connection: close"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _json_response(status, reason, data):
    return _response("HTTP/1.1 %d %s" % (status, reason), [("Content-Type", "application/json")], json.dumps(data).encode("utf-8"))


def _data_channel(form):
    connector = {
        "connector_id": "echo-1", "name": "echo", "state": "failed", "cluster_id": "echo",
        "state_error_message": "upstream said: " + form,
        "properties": {"connector.class": "EchoSink", "topics": "orders", "note": form, "nested": {"list": [form]}},
        "tasks": [{"id": 0, "state": "FAILED", "trace": "java.lang.IllegalStateException: " + form + "\n\tat Echo.run"}],
        form[:40]: "a key that echoes",
    }
    return _json_response(200, "OK", [connector])


CHANNELS = {
    "text": lambda form: _response("HTTP/1.1 400 Bad Request", [("Content-Type", "text/plain")], ("refused: " + form).encode("utf-8")),
    "json": lambda form: _json_response(403, "Forbidden", {"message": "bad credentials " + form}),
    # Every character of the form JSON-escaped: only the JSON decoder turns it back into the form.
    "json_unicode": lambda form: _response("HTTP/1.1 500 Internal Server Error", [("Content-Type", "application/json")],
                                           ('{"error": "denied %s"}' % per_char_unicode(form)).encode("utf-8")),
    "data": _data_channel,
    # Not an HTTP version: http.client refuses the line and quotes it whole in its exception.
    "status_line": lambda form: ("ECHO/1.1 200 %s\r\nContent-Length: 2\r\n\r\n[]" % _single_line(form)).encode("utf-8"),
    # A header line without a colon: urllib3 logs the unparsed data and the answer still arrives.
    "header": lambda form: ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Echo %s\r\nContent-Length: 2\r\n"
                            "Connection: close\r\n\r\n[]" % _single_line(form)).encode("utf-8"),
    # requests names a URL it has no adapter for: "No connection adapters were found for 'ftp://x/...'".
    "redirect": lambda form: _response("HTTP/1.1 302 Found", [("Location", "ftp://x/" + _single_line(form).replace(" ", "%20"))]),
}
# Where the task still succeeds: the echo is in the returned data, or only in what the libraries log.
SUCCEEDING_CHANNELS = ("data", "header")


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        request_line = self.rfile.readline(65536).decode("latin-1").strip()
        headers = {}
        while True:
            line = self.rfile.readline(65536).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, dummy, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        path = request_line.split(" ")[1] if request_line.count(" ") >= 2 else "/"
        answer = self.server.answer(path, headers.get("authorization", ""))
        self.wfile.write(answer)
        self.wfile.flush()


class HostileEchoServer(socketserver.ThreadingTCPServer):
    """The server, serving a free port of 127.0.0.1 from a thread from construction on."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = "http://127.0.0.1:%d" % self.server_address[1]
        self.requests = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self.shutdown()
        self.server_close()
        self._thread.join(10)

    def answer(self, path, authorization):
        self.requests.append(path)
        prefix = "/v2/kafka/connectors/"
        channel, dummy, form = unquote(path[len(prefix):]).partition("__") if path.startswith(prefix) else ("", "", "")
        scheme, dummy, token = authorization.partition(" ")
        try:
            email, dummy, api_key = base64.b64decode(token).decode("utf-8").partition(":")
        except ValueError:
            email = api_key = ""
        forms = echo_forms(email, api_key) if scheme.lower() == "basic" and api_key else {}
        if forms:
            # Every form in one answer, for a path too slow to take once per form.
            forms["all"] = "\n | ".join(forms[name] for name in sorted(forms))
        if channel not in CHANNELS or form not in forms:
            return _json_response(404, "Not Found", {"error": "no such case"})
        return CHANNELS[channel](forms[form])
