# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What requests and urllib3 do with the collection's retry policy and whole-body answers. The real
libraries run; only the connection is replaced, by one end of a socket pair whose other end holds a
canned answer. Pauses between tries are recorded, not waited for."""

from __future__ import annotations

import socket
import ssl
import time

import pytest
import urllib3
from urllib3.exceptions import NewConnectionError

from ansible_collections.upstash.cloud.plugins.module_utils import _transport
from ansible_collections.upstash.cloud.plugins.module_utils._api import Client
from ansible_collections.upstash.cloud.plugins.module_utils._errors import UpstashError
from ansible_collections.upstash.cloud.plugins.module_utils._transport import Call, Cancelled, RetryPolicy, system_trust_store

LIST = "/v2/kafka/connectors/c-1"
BODY = b'[{"connector_id": "a", "name": "one", "state": "running"}]'


def answer(status="200 OK", body=BODY, length=None, headers=()):
    head = ["HTTP/1.1 " + status, "Content-Type: application/json", "Connection: close", "Content-Length: %d" % (len(body) if length is None else length)]
    return ("\r\n".join(head + list(headers)) + "\r\n\r\n").encode() + body


# A body that ends 100 bytes before its Content-Length does.
CUT = answer(body=BODY[:26], length=126)


class Wire:
    """The connections urllib3 opens, in order: each takes the next answer (bytes, then the end of what
    the server sends; or an exception to raise instead of connecting)."""

    def __init__(self):
        self.answers, self.attempts, self.ends = [], 0, []
        self.keep_open = False

    def connect(self, *_args, **_kwargs):
        self.attempts += 1
        planned = self.answers.pop(0)
        if isinstance(planned, BaseException):
            raise planned
        near, far = socket.socketpair()
        self.ends.append(far)
        far.sendall(planned)
        if not self.keep_open:
            far.shutdown(socket.SHUT_WR)
        return near


@pytest.fixture
def wire(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    fake = Wire()
    monkeypatch.setattr(urllib3.util.connection, "create_connection", fake.connect)
    yield fake
    for end in fake.ends:
        end.close()


@pytest.fixture
def pauses(monkeypatch):
    """The pauses asked for between tries, without waiting for them."""
    asked = []
    monkeypatch.setattr(_transport.Call, "pause", lambda _call, seconds: asked.append(seconds))
    return asked


def client(**overrides):
    options = dict(email="ops@example.com", api_key="unit-test-api-key-4b7e1c", api_url="http://api.example.test", retries=3, timeout=5)
    options.update(overrides)
    return Client(**options)


def call(api, method):
    return {"GET": lambda: api.list_connectors("c-1"), "POST": lambda: api.act("c-1", "restart"), "DELETE": lambda: api.delete_connector("c-1")}[method]()


def failure(thunk):
    with pytest.raises(UpstashError) as caught:
        thunk()
    return str(caught.value)


@pytest.mark.parametrize("method, retry_after, pause", [
    ("GET", "3600", 60.0),
    ("GET", "2", 2.0),
    ("GET", "Wed, 21 Oct 2015 07:28:00 GMT", 1.0),  # a date gone by: the backoff of the second retry
    ("GET", "whenever you like", 1.0),
    ("POST", "3600", 60.0),
    ("DELETE", "7", 7.0),
])
def test_retry_after_is_honoured_and_capped(wire, pauses, method, retry_after, pause):
    wire.answers = [answer("503 Service Unavailable", b'"busy"'), answer("429 Too Many Requests", b'"slow down"', headers=["Retry-After: " + retry_after]),
                    answer(body=b'"OK"' if method != "GET" else BODY)]
    call(client(), method)
    assert wire.attempts == 3
    assert pauses == [0, pause]


def test_the_backoff_between_tries_grows_to_its_cap():
    policy, backoff = RetryPolicy.for_method("POST", 10), []
    for _try in range(10):
        policy = policy.increment("POST", "/x", error=NewConnectionError(None, "refused"))
        backoff.append(policy.get_backoff_time())
    assert backoff == [0, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0, 10.0]


@pytest.mark.parametrize("method, attempts, message", [
    ("GET", 2, None),
    ("POST", 1, "The answer from api.example.test to POST /v2/kafka/connector/c-1/restart was cut off before its end "
                "(26 bytes received, 100 more expected; 1 try, not repeated as the API may have acted on it)."),
    ("DELETE", 1, "The answer from api.example.test to DELETE /v2/kafka/connector/c-1 was cut off before its end "
                  "(26 bytes received, 100 more expected; 1 try, not repeated as the API may have acted on it)."),
])
def test_a_body_cut_off_is_a_read_error_retried_only_for_a_get(wire, pauses, method, attempts, message):
    wire.answers = [CUT, answer(body=BODY if method == "GET" else b'"OK"')]
    if message is None:
        assert call(client(), method) == [{"connector_id": "a", "name": "one", "state": "running"}]
        assert pauses == [0]
    else:
        assert failure(lambda: call(client(), method)) == message
    assert wire.attempts == attempts


def test_an_answer_announced_larger_than_the_limit_is_refused_unread(wire):
    wire.answers = [answer(body=b"[]", length=2 * 1024 * 1024)]
    assert failure(lambda: call(client(max_response_mb=1), "GET")) == (
        "The answer from api.example.test to GET %s is larger than 1 MiB (max_response_mb); raise max_response_mb if it is expected." % LIST)
    assert wire.attempts == 1


def test_an_error_answer_is_read_only_as_far_as_a_message_needs(wire):
    wire.keep_open = True  # the server sends 100 KB of a promised gigabyte, then waits
    wire.answers = [answer("500 Internal Server Error", b"x" * 100000, length=10 ** 9)]
    message = failure(lambda: call(client(retries=0, timeout=0.5), "GET"))
    assert message.startswith("HTTP 500 from api.example.test for GET %s: xxx" % LIST)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("error, attempts, message", [
    (socket.gaierror(-2, "Name or service not known"), 1, "The host name of api.example.test does not resolve (Name or service not known): check api_url."),
    (ConnectionRefusedError(111, "Connection refused"), 3,
     "Nothing accepts connections at api.example.test (Connection refused, 3 tries): is the API, or the emulator, listening at that host and "
     "port? The emulator prints its URL when it starts."),
])
def test_a_connection_never_made_is_retried_whatever_the_method_unless_the_name_does_not_resolve(wire, pauses, method, error, attempts, message):
    wire.answers = [error] * 3
    assert failure(lambda: call(client(retries=2), method)) == message
    assert wire.attempts == attempts
    assert pauses == [0, 1.0][:attempts - 1]


class Connection:
    """Stands in for a urllib3 connection: a call keeps a weak reference to each, to shut its socket down."""

    sock = None


def test_a_pause_ends_with_the_call():
    running = Call(5, 1024)
    started = time.monotonic()
    running.pause(0.01)
    running.end = time.monotonic() + 0.05
    with pytest.raises(Cancelled):
        running.pause(60)
    assert 0.04 <= time.monotonic() - started < 2
    running.end = None
    running.cancel()
    with pytest.raises(Cancelled):
        running.pause(60)
    with pytest.raises(Cancelled):
        running.attempt_deadline(Connection())
    assert time.monotonic() - started < 2


def test_an_attempt_ends_at_its_own_timeout_or_at_the_end_of_the_call():
    running = Call(5, 1024)
    assert abs(running.attempt_deadline(Connection()) - (time.monotonic() + 5)) < 1
    running.end = time.monotonic() + 1
    assert running.attempt_deadline(Connection()) == running.end


def test_the_platform_trust_store_is_what_openssl_would_use(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    assert system_trust_store() == str(bundle)
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    assert system_trust_store() == str(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.delenv("SSL_CERT_DIR")
    monkeypatch.setattr(_transport.ssl, "get_default_verify_paths", lambda: ssl.DefaultVerifyPaths(
        None, str(empty), "SSL_CERT_FILE", str(tmp_path / "none.pem"), "SSL_CERT_DIR", str(empty)))
    assert system_trust_store() is None
