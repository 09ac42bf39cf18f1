# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64
import gc
import gzip
import http.client
import io
import json
import socket
import ssl
import threading
import time
import warnings

import pytest
import requests
import responses
import urllib3
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ProxyError, ReadTimeoutError

from ansible_collections.upstash.cloud.plugins.module_utils import _api_client, _transport
from ansible_collections.upstash.cloud.plugins.module_utils._api_client import (
    UpstashClient,
    UpstashConfigError,
    UpstashConnectionError,
    UpstashError,
    UpstashHTTPError,
    UpstashResponseError,
    client_from_options,
)

API = "https://api.example.test"
EMAIL = "ops@example.com"
KEY = "unit-test-api-key-4b7e1c"
CLUSTER = "7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01"
LIST_URL = API + "/v2/kafka/connectors/" + CLUSTER
CONNECTORS = [{"connector_id": "a", "name": "one", "state": "running"}, {"connector_id": "b", "name": "two", "state": "failed"}]


def client(**overrides):
    options = dict(email=EMAIL, api_key=KEY, api_url=API, retries=3, timeout=5)
    options.update(overrides)
    return UpstashClient(**options)


def fail_with(exc_type, call):
    with pytest.raises(exc_type) as caught:
        call()
    message = str(caught.value)
    assert KEY not in message
    assert "Traceback" not in message
    return message


@responses.activate
def test_list_connectors_sends_basic_auth_and_user_agent():
    responses.get(LIST_URL, json=CONNECTORS)
    assert client().list_connectors(CLUSTER) == CONNECTORS

    request = responses.calls[0].request
    expected = "Basic " + base64.b64encode(("%s:%s" % (EMAIL, KEY)).encode()).decode()
    assert request.headers["Authorization"] == expected
    assert request.headers["User-Agent"] == "ansible-upstash.cloud"
    assert request.headers["Accept"] == "application/json"


@responses.activate
def test_api_url_path_prefix_and_trailing_slash():
    responses.get("http://127.0.0.1:8080/proxy/v2/kafka/connectors/" + CLUSTER, json=[])
    assert client(api_url="http://127.0.0.1:8080/proxy/").list_connectors(CLUSTER) == []


@responses.activate
def test_get_connector_and_list_clusters():
    responses.get(API + "/v2/kafka/connector/a", json=CONNECTORS[0])
    responses.get(API + "/v2/kafka/clusters", json=[{"cluster_id": CLUSTER, "name": "prod"}])
    assert client().get_connector("a") == CONNECTORS[0]
    assert client().list_clusters() == [{"cluster_id": CLUSTER, "name": "prod"}]


@pytest.mark.parametrize("bad_id", ["a/b", "a?b", "a%2fb", "a b", "..", "", "ü", "a\nb", None, 5, ["x"]])
@responses.activate
def test_bad_ids_are_refused_before_any_request(bad_id):
    message = fail_with(UpstashConfigError, lambda: client().list_connectors(bad_id))
    assert "cluster_id" in message
    fail_with(UpstashConfigError, lambda: client().get_connector(bad_id))
    assert len(responses.calls) == 0


@pytest.mark.parametrize(
    "options, words",
    [
        (dict(email=None), ["email", "UPSTASH_EMAIL"]),
        (dict(email=""), ["email", "UPSTASH_EMAIL"]),
        (dict(api_key=None), ["api_key", "UPSTASH_API_KEY"]),
        (dict(api_url="ftp://example.net"), ["api_url"]),
        (dict(api_url="not a url"), ["api_url"]),
        (dict(api_url="https://user:%s@example.net" % KEY), ["api_url", "credentials"]),
        (dict(timeout=0), ["timeout"]),
        (dict(timeout="soon"), ["timeout"]),
        (dict(retries=-1), ["retries"]),
    ],
)
def test_unusable_options_are_refused(options, words):
    message = fail_with(UpstashConfigError, lambda: client(**options))
    for word in words:
        assert word in message


@responses.activate
def test_client_from_options_uses_defaults_for_missing_values():
    responses.get("https://api.upstash.com/v2/kafka/clusters", json=[])
    built = client_from_options(dict(email=EMAIL, api_key=KEY, api_url=None, timeout=None, retries=None, redact=True))
    assert built.base_url == "https://api.upstash.com"
    assert built.timeout == 30.0 and built.retries == 3
    assert built.list_clusters() == []


@pytest.mark.parametrize("status", [401, 403])
@responses.activate
def test_auth_failures_point_at_credentials(status):
    responses.get(LIST_URL, status=status, json={"error": "Unauthorized"})
    message = fail_with(UpstashHTTPError, lambda: client().list_connectors(CLUSTER))
    assert "Authentication failed" in message
    assert "HTTP %d" % status in message
    assert "email" in message and "api_key" in message
    assert EMAIL not in message
    assert len(responses.calls) == 1


@responses.activate
def test_not_found_names_the_id():
    responses.get(LIST_URL, status=404, body="cluster not found")
    message = fail_with(UpstashHTTPError, lambda: client().list_connectors(CLUSTER))
    assert CLUSTER in message and "not found" in message and "HTTP 404" in message


@responses.activate
def test_persistent_server_error_is_retried_then_reported_with_api_text():
    responses.get(LIST_URL, status=503, json={"message": "maintenance window"})
    message = fail_with(UpstashHTTPError, lambda: client(retries=2).list_connectors(CLUSTER))
    assert "HTTP 503" in message and "maintenance window" in message and "3 tries" in message
    assert len(responses.calls) == 3


@responses.activate
def test_transient_errors_then_success():
    responses.get(LIST_URL, status=500, body="oops")
    responses.get(LIST_URL, status=429, body="slow down")
    responses.get(LIST_URL, json=CONNECTORS)
    assert client().list_connectors(CLUSTER) == CONNECTORS
    assert len(responses.calls) == 3


@responses.activate
def test_retries_zero_means_one_request():
    responses.get(LIST_URL, status=502, body="bad gateway")
    fail_with(UpstashHTTPError, lambda: client(retries=0).list_connectors(CLUSTER))
    assert len(responses.calls) == 1


@responses.activate
def test_client_errors_are_not_retried():
    responses.get(LIST_URL, status=400, json={"error": "bad request"})
    message = fail_with(UpstashHTTPError, lambda: client().list_connectors(CLUSTER))
    assert "HTTP 400" in message and "bad request" in message
    assert len(responses.calls) == 1


def test_retry_after_is_bounded():
    class FakeResponse:
        headers = {"Retry-After": "3600"}

        def getheader(self, name, default=None):
            return self.headers.get(name, default)

    retry = _api_client._build_retry(3)
    assert retry.get_retry_after(FakeResponse()) == _api_client.RETRY_AFTER_MAX
    assert retry.total == 3 and 429 in retry.status_forcelist


@pytest.mark.parametrize(
    "exc, words",
    [
        (requests.exceptions.ConnectTimeout("connect timed out"), ["Timed out connecting", "api.example.test"]),
        (requests.exceptions.ReadTimeout("read timed out"), ["Timed out", "api.example.test"]),
        (requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED"), ["certificate verification", "ca_path", "validate_certs"]),
        (requests.exceptions.ConnectionError(ConnectionRefusedError(111, "Connection refused")), ["Connection refused", "api.example.test"]),
        (requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"), ["cut off", "api.example.test"]),
        (requests.exceptions.TooManyRedirects("too many"), ["redirects"]),
    ],
)
@responses.activate
def test_transport_failures_become_one_sentence(exc, words):
    responses.get(LIST_URL, body=exc)
    message = fail_with(UpstashConnectionError, lambda: client().list_connectors(CLUSTER))
    for word in words:
        assert word in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "body, content_type, words",
    [
        (b"<html><body>Bad gateway</body></html>", "text/html", ["HTML page", "JSON list of connector objects"]),
        (b'{"connectors": []}', "application/json", ["JSON object", "JSON list of connector objects"]),
        (b'["one", "two"]', "application/json", ["item 0 is a JSON string"]),
        (b'[{"name": "a"}, 7]', "application/json", ["item 1 is a JSON number"]),
        (b'[{"name": "a"}, {"na', "application/json", ["truncated or malformed JSON"]),
        (b"", "application/json", ["empty body"]),
        (b"null", "application/json", ["JSON null"]),
        (b"OK", "text/plain", ["text that is not JSON"]),
    ],
)
@responses.activate
def test_bad_shapes_are_named(body, content_type, words):
    responses.get(LIST_URL, body=body, content_type=content_type)
    message = fail_with(UpstashResponseError, lambda: client().list_connectors(CLUSTER))
    for word in words:
        assert word in message


@responses.activate
def test_get_connector_wants_an_object():
    responses.get(API + "/v2/kafka/connector/a", json=[CONNECTORS[0]])
    message = fail_with(UpstashResponseError, lambda: client().get_connector("a"))
    assert "JSON list" in message and "connector object" in message


@responses.activate
def test_api_key_echoed_by_the_server_is_scrubbed():
    responses.get(LIST_URL, status=500, body="bad key %s for %s" % (KEY, EMAIL))
    message = fail_with(UpstashHTTPError, lambda: client(retries=0).list_connectors(CLUSTER))
    assert "********" in message


@pytest.mark.parametrize("ca_path", [None, "custom.pem"])
@responses.activate
def test_validate_certs_and_ca_path_win_over_requests_ca_bundle(monkeypatch, tmp_path, ca_path):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    if ca_path is None:
        options, verify = dict(validate_certs=False), False
    else:
        verify = str(tmp_path / ca_path)
        open(verify, "w").close()
        options = dict(ca_path=verify)
    responses.get(LIST_URL, json=[])
    client(**options).list_connectors(CLUSTER)
    assert responses.calls[0].request.req_kwargs["verify"] == verify
    assert responses.calls[0].request.req_kwargs["timeout"] == 5


def test_every_error_is_an_upstash_error():
    for cls in (UpstashConfigError, UpstashConnectionError, UpstashHTTPError, UpstashResponseError):
        assert issubclass(cls, UpstashError)


def test_missing_requests_is_reported(monkeypatch):
    monkeypatch.setattr(_api_client, "HAS_REQUESTS", False)
    message = fail_with(UpstashConfigError, client)
    assert "requests" in message


@pytest.fixture
def unused_port():
    """A 127.0.0.1 port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SilentServer:
    """Takes every connection and request on 127.0.0.1 and never answers."""

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._received = []
        self._connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _peer = self._listener.accept()
            except OSError:
                return
            self._connections.append(connection)
            threading.Thread(target=self._read, args=(connection,), daemon=True).start()

    def _read(self, connection):
        try:
            if connection.recv(65536):
                self._received.append(connection)
        except OSError:
            pass

    def requests(self):
        return len(self._received)

    def close(self):
        self._listener.close()
        for connection in self._connections:
            connection.close()


@pytest.fixture
def trickling_server():
    """A server that sends its headers, then one byte of its body a second."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        connection, _peer = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[")
            while not stop.wait(0.5):
                try:
                    connection.sendall(b" ")
                except OSError:
                    return

    threading.Thread(target=serve, daemon=True).start()
    yield "http://127.0.0.1:%d" % listener.getsockname()[1]
    stop.set()
    listener.close()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def slept(monkeypatch):
    """The pauses the client asked for between tries, without waiting for them."""
    pauses = []
    monkeypatch.setattr(_transport.Call, "pause", lambda call, seconds: pauses.append(seconds))
    return pauses


class _CutOffBody(io.RawIOBase):
    """A body that ends early, as http.client reports a connection closed before Content-Length was read."""

    def __init__(self, body, missing):
        super().__init__()
        self._body, self._missing, self._sent = body, missing, False

    def readable(self):
        return True

    def readinto(self, buffer):
        if self._sent:
            raise http.client.IncompleteRead(self._body, self._missing)
        self._sent = True
        buffer[:len(self._body)] = self._body
        return len(self._body)


def cut_off(body=b'[{"connector_id": "a", "na'):
    """A 200 whose Content-Length promises more than is sent: it breaks only after the headers arrived.

    The break is raised by the body itself, so it is the same whether or not the urllib3 in use checks
    Content-Length for the mocked answer (urllib3 2 does, 1.26 only where the collection asks it to)."""
    return dict(body=io.BufferedReader(_CutOffBody(body, 100)), headers={"Content-Length": str(len(body) + 100)},
                content_type="application/json")


@responses.activate
def test_a_body_cut_off_once_is_retried(slept):
    responses.get(LIST_URL, **cut_off())
    responses.get(LIST_URL, json=CONNECTORS)
    api = client(retries=1)
    adapter = api._session.get_adapter(API)  # pylint: disable=protected-access
    budget = adapter.max_retries
    assert api.list_connectors(CLUSTER) == CONNECTORS
    assert len(responses.calls) == 2
    # the shared adapter, used by concurrent requests, keeps its own budget
    assert api._session.get_adapter(API) is adapter and adapter.max_retries is budget  # pylint: disable=protected-access
    assert slept == [0]


@responses.activate
def test_bodies_cut_off_every_time_use_up_the_same_retries_budget(slept):
    for _attempt in range(6):
        responses.get(LIST_URL, **cut_off())
    message = fail_with(UpstashConnectionError, lambda: client(retries=2).list_connectors(CLUSTER))
    assert "The answer from api.example.test to GET /v2/kafka/connectors/%s was cut off before its end" % CLUSTER in message
    assert "(26 bytes received, 100 more expected; 3 tries)." in message
    assert len(responses.calls) == 3
    assert slept == [0, 1.0]


@responses.activate
def test_a_body_cut_off_with_retries_zero_is_tried_once(slept):
    responses.get(LIST_URL, **cut_off())
    responses.get(LIST_URL, json=CONNECTORS)
    message = fail_with(UpstashConnectionError, lambda: client(retries=0).list_connectors(CLUSTER))
    assert message.endswith("; 1 try).")
    assert len(responses.calls) == 1
    assert not slept


def lost_while_handling_another_error():
    """A lost connection as urllib3 1.26 raises it: "from None", inside its handler of a TypeError of its own."""
    try:
        try:
            raise TypeError("getresponse() got an unexpected keyword argument 'buffering'")
        except TypeError:
            raise http.client.RemoteDisconnected("Remote end closed connection without response") from None
    except http.client.RemoteDisconnected as lost:
        return lost


def refused_by_the_network():
    """A NewConnectionError as urllib3 raises it: from the OSError behind it, and naming the connection first."""
    error = NewConnectionError(None, "Failed to establish a new connection: [Errno 113] No route to host")
    error.__cause__ = OSError(113, "No route to host")
    return error


@pytest.mark.parametrize(
    "exc, words",
    [
        # what requests raises when read timeouts used up the retries: a ConnectionError, not a Timeout
        (requests.exceptions.ConnectionError(MaxRetryError(None, "/x", ReadTimeoutError(None, "/x", "Read timed out."))),
         ["Timed out after 5 seconds waiting for api.example.test to answer GET", "(4 tries)."]),
        (requests.exceptions.ConnectionError(MaxRetryError(None, "/x", ProtocolError(
            "Connection aborted.", http.client.RemoteDisconnected("Remote end closed connection without response")))),
         ["The connection to api.example.test was lost during GET", "(4 tries): Remote end closed connection without response."]),
        (requests.exceptions.ConnectionError(MaxRetryError(None, "/x", ProtocolError("Connection aborted.", lost_while_handling_another_error()))),
         ["The connection to api.example.test was lost during GET", "(4 tries): Remote end closed connection without response."]),
        (requests.exceptions.ConnectionError(MaxRetryError(None, "/x", refused_by_the_network())),
         ["Could not connect to api.example.test for GET", "(4 tries): No route to host."]),
        (requests.exceptions.SSLError("[SSL: WRONG_VERSION_NUMBER] wrong version number"),
         ["The TLS connection to api.example.test failed", "https"]),
        (requests.exceptions.ProxyError(MaxRetryError(None, "/x", ProxyError(
            "Unable to connect to proxy", NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")))),
         ["Could not reach api.example.test through the proxy set by HTTPS_PROXY", "(4 tries): ", "NO_PROXY"]),
    ],
)
@responses.activate
def test_transport_failures_say_what_happened_not_how_it_was_wrapped(exc, words):
    responses.get(LIST_URL, body=exc)
    message = fail_with(UpstashConnectionError, lambda: client().list_connectors(CLUSTER))
    for word in words:
        assert word in message
    for wrapper in ("MaxRetryError", "ProtocolError", "('", "object at 0x"):
        assert wrapper not in message


@responses.activate
def test_one_try_is_one_try():
    responses.get(LIST_URL, body=requests.exceptions.ConnectionError(ConnectionRefusedError(111, "Connection refused")))
    message = fail_with(UpstashConnectionError, lambda: client(retries=0).list_connectors(CLUSTER))
    assert "(1 try): Connection refused." in message


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_pause_between_tries_grows_to_its_cap_on_every_urllib3(method):
    retry = _api_client._build_retry(_api_client.RETRIES_MAX, method)  # pylint: disable=protected-access
    pauses = []
    for dummy in range(_api_client.RETRIES_MAX):
        retry = retry.increment(method, "/x", error=NewConnectionError(None, "refused"))
        pauses.append(retry.get_backoff_time())
    assert pauses[:4] == [0, 1.0, 2.0, 4.0]
    assert max(pauses) == pauses[-1] == _api_client.BACKOFF_MAX


def test_an_unreadable_retry_after_falls_back_to_backoff():
    class FakeResponse:
        headers = {"Retry-After": "whenever you like"}

        def getheader(self, name, default=None):
            return self.headers.get(name, default)

    assert _api_client._build_retry(3).get_retry_after(FakeResponse()) is None  # pylint: disable=protected-access


@responses.activate
def test_credentials_echoed_by_a_proxy_are_masked_encoded_and_plain():
    token = base64.b64encode(("%s:%s" % (EMAIL, KEY)).encode()).decode()
    responses.get(LIST_URL, status=502, body="proxy refused it; Authorization: Basic %s (%s:%s)" % (token, EMAIL, KEY))
    message = fail_with(UpstashHTTPError, lambda: client(retries=0).list_connectors(CLUSTER))
    assert token not in message
    assert "Authorization: Basic ******** (%s:********)" % EMAIL in message


@pytest.mark.parametrize("text", ["Basic authentication required", "use basic auth", "Basic abcd is not a pair"])
def test_ordinary_words_after_basic_are_left_alone(text):
    assert _api_client.api_message(text.encode()) == text


@responses.activate
def test_the_key_is_masked_before_a_long_message_is_shortened():
    responses.get(LIST_URL, status=500, body="x" * 195 + KEY + " and more")
    message = fail_with(UpstashHTTPError, lambda: client(retries=0).list_connectors(CLUSTER))
    assert KEY[:5] not in message


@responses.activate
def test_a_redirect_to_another_host_drops_the_credentials_and_names_who_answered():
    other = "https://elsewhere.example.net/v2/kafka/connectors/" + CLUSTER
    responses.get(LIST_URL, status=302, headers={"Location": other})
    responses.get(other, status=401, json={"error": "Unauthorized"})
    message = fail_with(UpstashHTTPError, lambda: client().list_connectors(CLUSTER))
    assert message.startswith("Authentication failed at elsewhere.example.net (HTTP 401: Unauthorized) after api.example.test redirected")
    assert "never sent to another host" in message
    assert "Authorization" in responses.calls[0].request.headers
    assert "Authorization" not in responses.calls[1].request.headers


@responses.activate
def test_other_errors_after_a_redirect_name_both_hosts():
    other = "https://elsewhere.example.net/v2/kafka/connectors/" + CLUSTER
    responses.get(LIST_URL, status=307, headers={"Location": other})
    responses.get(other, status=500, body="down")
    message = fail_with(UpstashHTTPError, lambda: client(retries=0).list_connectors(CLUSTER))
    assert "HTTP 500 from elsewhere.example.net (redirected from api.example.test) for GET" in message


@responses.activate
def test_a_redirect_within_the_host_keeps_the_credentials():
    moved = API + "/v2/kafka/connectors/moved-here"
    responses.get(LIST_URL, status=301, headers={"Location": moved})
    responses.get(moved, json=CONNECTORS)
    assert client().list_connectors(CLUSTER) == CONNECTORS
    assert "Authorization" in responses.calls[1].request.headers


def test_templated_values_are_named_by_their_plain_type():
    class TaggedInt(int):
        pass

    message = fail_with(UpstashConfigError, lambda: client().list_connectors(TaggedInt(42)))
    assert "a value of type int" in message


CONNECTOR = {"connector_id": "c-1", "name": "mongo-sink", "cluster_id": CLUSTER, "state": "pending", "properties": {}}
PROPERTIES = {"connector.class": "com.mongodb.kafka.connect.MongoSinkConnector", "topics": "orders"}
CREATE_URL = API + "/v2/kafka/connector"


@pytest.mark.parametrize(
    "call, method, url, body, answer, returned",
    [
        (lambda api: api.create_connector(CLUSTER, "mongo-sink", PROPERTIES), "POST", CREATE_URL,
         {"name": "mongo-sink", "cluster_id": CLUSTER, "properties": PROPERTIES}, CONNECTOR, CONNECTOR),
        (lambda api: api.update_connector("c-1", {"topics": "orders,refunds"}), "POST", API + "/v2/kafka/update-connector/c-1",
         {"topics": "orders,refunds"}, CONNECTOR, CONNECTOR),
        (lambda api: api.delete_connector("c-1"), "DELETE", API + "/v2/kafka/connector/c-1", None, "OK", None),
        (lambda api: api.pause_connector("c-1"), "POST", API + "/v2/kafka/connector/c-1/pause", None, "OK", None),
        (lambda api: api.start_connector("c-1"), "POST", API + "/v2/kafka/connector/c-1/start", None, "OK", None),
        (lambda api: api.restart_connector("c-1"), "POST", API + "/v2/kafka/connector/c-1/restart", None, "OK", None),
    ],
)
@responses.activate
def test_mutations_send_their_method_path_and_body(call, method, url, body, answer, returned):
    responses.add(method, url, json=answer)
    assert call(client()) == returned
    request = responses.calls[0].request
    assert len(responses.calls) == 1
    assert request.method == method
    assert request.headers["Authorization"].startswith("Basic ")
    if body is None:
        assert not request.body
    else:
        assert request.headers["Content-Type"] == "application/json"
        assert json.loads(request.body) == body


@responses.activate
def test_a_refused_mutation_names_its_method_and_the_api_words():
    responses.post(CREATE_URL, status=400, json={"error": "connector name already used in this cluster"})
    message = fail_with(UpstashHTTPError, lambda: client().create_connector(CLUSTER, "mongo-sink", PROPERTIES))
    assert message == "HTTP 400 from api.example.test for POST /v2/kafka/connector: connector name already used in this cluster."


@responses.activate
def test_a_mutation_of_an_unknown_connector_names_it():
    responses.delete(API + "/v2/kafka/connector/gone", status=404, body="connector not found")
    message = fail_with(UpstashHTTPError, lambda: client().delete_connector("gone"))
    assert message == "Kafka connector 'gone' was not found at api.example.test (HTTP 404: connector not found)."


@pytest.mark.parametrize("status", [500, 502, 504])
@responses.activate
def test_a_mutation_that_may_have_been_processed_is_not_repeated(status):
    responses.post(CREATE_URL, status=status, body="upstream failed")
    responses.post(CREATE_URL, json=CONNECTOR)
    message = fail_with(UpstashHTTPError, lambda: client().create_connector(CLUSTER, "mongo-sink", PROPERTIES))
    assert message == "HTTP %d from api.example.test for POST /v2/kafka/connector: upstream failed." % status
    assert len(responses.calls) == 1


@pytest.mark.parametrize("status", [429, 503])
@responses.activate
def test_a_mutation_the_api_refused_to_take_is_repeated(status):
    responses.delete(API + "/v2/kafka/connector/c-1", status=status, body="busy")
    responses.delete(API + "/v2/kafka/connector/c-1", json="OK")
    assert client().delete_connector("c-1") is None
    assert len(responses.calls) == 2


@responses.activate
def test_a_mutation_refused_every_time_says_how_often_it_was_tried():
    responses.post(API + "/v2/kafka/connector/c-1/restart", status=503, body="maintenance")
    message = fail_with(UpstashHTTPError, lambda: client(retries=2).restart_connector("c-1"))
    assert message == "HTTP 503 from api.example.test for POST /v2/kafka/connector/c-1/restart after 3 tries: maintenance."
    assert len(responses.calls) == 3


@responses.activate
def test_retry_after_on_another_status_does_not_repeat_a_mutation():
    # urllib3 on its own repeats a 413 that carries Retry-After
    responses.post(CREATE_URL, status=413, headers={"Retry-After": "1"}, body="too large")
    fail_with(UpstashHTTPError, lambda: client().create_connector(CLUSTER, "mongo-sink", PROPERTIES))
    assert len(responses.calls) == 1


@responses.activate
def test_a_redirected_mutation_is_not_followed():
    responses.post(CREATE_URL, status=307, headers={"Location": API + "/elsewhere"})
    message = fail_with(UpstashHTTPError, lambda: client().create_connector(CLUSTER, "mongo-sink", PROPERTIES))
    assert message.startswith("HTTP 307 from api.example.test for POST /v2/kafka/connector: ")
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda api: api.create_connector("a/b", "x", PROPERTIES), "Invalid cluster_id 'a/b'"),
        (lambda api: api.create_connector(CLUSTER, "", PROPERTIES), "Invalid connector name"),
        (lambda api: api.create_connector(CLUSTER, "x", ["connector.class"]), "got a value of type list"),
        (lambda api: api.create_connector(CLUSTER, "x", {"when": object()}), "cannot be sent as JSON"),
        (lambda api: api.update_connector("../x", {}), "Invalid connector_id '../x'"),
        (lambda api: api.update_connector("c-1", "topics=x"), "got a value of type str"),
        (lambda api: api.delete_connector(None), "Invalid connector_id a value of type null"),
        (lambda api: api.pause_connector("c 1"), "Invalid connector_id 'c 1'"),
        (lambda api: api.start_connector("c?1"), "Invalid connector_id 'c?1'"),
        (lambda api: api.restart_connector(7), "Invalid connector_id a value of type int"),
    ],
)
@responses.activate
def test_unusable_mutation_arguments_are_refused_before_any_request(call, words):
    assert words in fail_with(UpstashConfigError, lambda: call(client()))
    assert len(responses.calls) == 0


@responses.activate
def test_a_created_connector_must_be_an_object():
    responses.post(CREATE_URL, json="OK")
    message = fail_with(UpstashResponseError, lambda: client().create_connector(CLUSTER, "x", PROPERTIES))
    assert message == "The answer from api.example.test to POST /v2/kafka/connector is a JSON string; expected a JSON connector object."


def test_a_refused_connection_is_retried_for_a_mutation(monkeypatch, slept, unused_port):
    """Real requests and urllib3 against a closed port: nothing was sent, so the POST is tried again."""
    attempts = []
    connect = urllib3.util.connection.create_connection

    def counting_connect(*args, **kwargs):
        attempts.append(args[0])
        return connect(*args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting_connect)
    api = client(api_url="http://127.0.0.1:%d" % unused_port, retries=2)
    message = fail_with(UpstashConnectionError, lambda: api.create_connector(CLUSTER, "x", PROPERTIES))
    assert message == "Could not connect to 127.0.0.1:%d for POST /v2/kafka/connector (3 tries): Connection refused." % unused_port
    assert len(attempts) == 3


@pytest.mark.parametrize("method, tries", [("POST", 1), ("GET", 3)])
def test_a_read_timeout_repeats_a_get_but_never_a_mutation(silent_server, method, tries):
    """A real server that takes each request and never answers: a POST may have been processed."""
    api = client(api_url=silent_server.url, retries=2, timeout=0.3)

    def call():
        return api.create_connector(CLUSTER, "x", PROPERTIES) if method == "POST" else api.list_clusters()

    expected = "(1 try, not repeated as the API may have acted on it)." if method == "POST" else "(3 tries)."
    message = fail_with(UpstashConnectionError, call)
    assert message.startswith("Timed out after 0.3 seconds waiting for 127.0.0.1:%d to answer %s /v2/kafka/" % (silent_server.port, method))
    assert message.endswith(expected)
    assert silent_server.requests() == tries


@responses.activate
def test_an_answer_that_echoes_the_key_in_any_form_is_masked_in_its_data():
    token = base64.b64encode(("%s:%s" % (EMAIL, KEY)).encode()).decode()
    echoed = [{"connector_id": "a", "name": "echo", "state_error_message": "auth=Basic%20" + token.replace("=", "%3D"),
               "tasks": [{"trace": "key " + "".join("\\u%04x" % ord(char) for char in KEY)}], "properties": {KEY: ["Bearer " + token]}}]
    responses.get(LIST_URL, json=echoed)
    responses.get(API + "/v2/kafka/connectors/other", json=CONNECTORS)
    assert client().list_connectors(CLUSTER) == [{"connector_id": "a", "name": "echo", "state_error_message": "auth=Basic%20********",
                                                  "tasks": [{"trace": "key ********"}], "properties": {"********": ["Bearer ********"]}}]
    assert client().list_connectors("other") == CONNECTORS


@responses.activate
def test_the_api_words_are_masked_after_json_decoding_and_before_the_cut():
    escaped = "".join("\\u%04x" % ord(char) for char in KEY)
    responses.get(LIST_URL, status=400, body='{"error": "%s%s"}' % ("x" * 190, escaped))
    message = fail_with(UpstashHTTPError, lambda: client().list_connectors(CLUSTER))
    assert KEY[:3] not in message.rsplit("x" * 190, maxsplit=1)[-1]


# --- bounds, deadlines and data a module process cannot return ------------------------------------

@pytest.mark.parametrize(
    "options, message",
    [
        (dict(timeout=1e300), "Invalid timeout 1e+300: it must be a number of seconds greater than 0 and at most 3600."),
        (dict(timeout=float("inf")), "Invalid timeout inf: it must be a number of seconds greater than 0 and at most 3600."),
        (dict(timeout=float("nan")), "Invalid timeout nan: it must be a number of seconds greater than 0 and at most 3600."),
        (dict(retries=11), "Invalid retries 11: it must be a whole number from 0 to 10."),
        (dict(retries=10 ** 9), "Invalid retries 1000000000: it must be a whole number from 0 to 10."),
        (dict(max_response_mb=0), "Invalid max_response_mb 0: it must be a whole number of MiB, 1 or more."),
        (dict(max_response_mb=True), "Invalid max_response_mb True: it must be a whole number of MiB, 1 or more."),
    ],
)
def test_options_beyond_their_bounds_are_refused(options, message):
    assert fail_with(UpstashConfigError, lambda: client(**options)) == message


@pytest.mark.parametrize("options, name", [(dict(api_key="key-\u2013-pasted"), "api_key"), (dict(email="ops\u20ac@example.com"), "email")])
def test_credentials_basic_auth_cannot_carry_are_refused(options, name):
    message = fail_with(UpstashConfigError, lambda: client(**options))
    assert message.startswith("Invalid %s: HTTP basic authentication carries only Latin-1 characters" % name)
    assert "\u2013" not in message and "\u20ac" not in message


def test_a_missing_ca_path_is_named_from_where_it_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    message = fail_with(UpstashConfigError, lambda: client(ca_path="certs/ca.pem"))
    assert message == ("Invalid ca_path %s: no such file or directory (a relative path is read from the playbook's directory)."
                       % (tmp_path / "certs" / "ca.pem"))


@pytest.mark.parametrize("depth, refused", [(32, False), (33, True), (100000, True)])
@responses.activate
def test_json_nested_deeper_than_any_real_answer_is_refused(depth, refused):
    responses.get(LIST_URL, body=b"[" + b"[" * (depth - 1) + b"]" * (depth - 1) + b"]", content_type="application/json")
    if refused:
        message = fail_with(UpstashResponseError, lambda: client().list_connectors(CLUSTER))
        assert message == ("The answer from api.example.test to GET /v2/kafka/connectors/%s is nested deeper than 32 levels, "
                           "which no real answer is." % CLUSTER)
    else:
        # 32 levels are fine as JSON (the shape check then refuses a list of lists)
        assert "is a JSON list whose item 0 is a JSON list" in fail_with(UpstashResponseError, lambda: client().list_connectors(CLUSTER))


@pytest.mark.parametrize(
    "body, name",
    [
        (b'[{"name": "a\\ud800b"}]', "a\ufffdb"),
        (b'[{"name": "\\udc00"}]', "\ufffd"),
        (b'[{"name": "smile \\ud83d\\ude00"}]', "smile \U0001f600"),
        (b'[{"name": "bad \xff\xfe bytes"}]', "bad \ufffd\ufffd bytes"),
        (b'[{"a\\ud800": {"nested": ["\\ud800"]}}]', None),
    ],
)
@responses.activate
def test_text_a_module_process_cannot_return_is_made_valid(body, name):
    responses.get(LIST_URL, body=body, content_type="application/json")
    connectors = client().list_connectors(CLUSTER)
    if name is not None:
        assert connectors == [{"name": name}]
    else:
        assert connectors == [{"a\ufffd": {"nested": ["\ufffd"]}}]
    json.dumps(connectors).encode("utf-8")  # what a module process does with its answer


@responses.activate
def test_an_answer_larger_than_the_limit_is_refused_counting_decompressed_bytes():
    compressed = gzip.compress(b" " * (3 * 1024 * 1024))
    responses.get(LIST_URL, body=compressed, headers={"Content-Encoding": "gzip"}, content_type="application/json")
    message = fail_with(UpstashResponseError, lambda: client(max_response_mb=1).list_connectors(CLUSTER))
    assert len(compressed) < 1024 * 1024
    assert message == ("The answer from api.example.test to GET /v2/kafka/connectors/%s is larger than 1 MiB (max_response_mb); "
                       "raise max_response_mb if it is expected." % CLUSTER)


@responses.activate
def test_a_large_error_page_is_read_only_as_far_as_a_message_needs():
    responses.get(LIST_URL, status=500, body="disk full " + "x" * (5 * 1024 * 1024))
    message = fail_with(UpstashHTTPError, lambda: client(retries=0, max_response_mb=1).list_connectors(CLUSTER))
    assert message.startswith("HTTP 500 from api.example.test for GET /v2/kafka/connectors/%s: disk full xxx" % CLUSTER)
    assert len(message) < 250


@responses.activate
def test_a_redirect_to_an_unusable_address_is_named():
    responses.get(LIST_URL, status=302, headers={"Location": "http://[::1/v2"})
    message = fail_with(UpstashConnectionError, lambda: client().list_connectors(CLUSTER))
    assert message == ("api.example.test redirected GET /v2/kafka/connectors/%s to an address that cannot be used "
                       "('http://[::1/v2'): Invalid IPv6 URL." % CLUSTER)


@responses.activate
def test_values_are_quoted_at_most_100_characters():
    long_id = "a/" + "b" * 100000
    message = fail_with(UpstashConfigError, lambda: client().list_connectors(long_id))
    assert message.startswith("Invalid cluster_id 'a/bbbb") and "...: it must be" in message
    assert len(message) < 200
    responses.get(API + "/v2/kafka/connectors/" + "c" * 5000, status=404, body="no such cluster " + "d" * 5000)
    message = fail_with(UpstashHTTPError, lambda: client().list_connectors("c" * 5000))
    assert len(message) < 300


@responses.activate
def test_a_cancelled_client_sends_nothing_more():
    responses.get(LIST_URL, json=[])
    api = client()
    api.cancel()
    message = fail_with(_api_client.UpstashCancelledError, lambda: api.list_connectors(CLUSTER))
    assert message == "The call was cancelled before api.example.test answered GET /v2/kafka/connectors/%s." % CLUSTER


def test_cancel_wakes_a_request_waiting_for_its_answer(silent_server):
    api = client(api_url=silent_server.url, retries=3, timeout=60)
    failures = []
    waiting = threading.Thread(target=lambda: failures.append(pytest.raises(UpstashError, api.list_clusters)))
    waiting.start()
    for _tick in range(100):
        if silent_server.requests():
            break
        threading.Event().wait(0.05)
    api.cancel()
    waiting.join(10)
    assert not waiting.is_alive()
    assert isinstance(failures[0].value, _api_client.UpstashCancelledError)
    # the GET would have been retried three times after a lost connection: none was sent
    assert silent_server.requests() == 1


def test_a_trickling_answer_is_cut_off_at_the_deadline(trickling_server):
    api = client(api_url=trickling_server, retries=0, timeout=1)
    started = time.monotonic()
    message = fail_with(UpstashConnectionError, api.list_clusters)
    assert message.startswith("Timed out after 1 seconds waiting for")
    assert 1 <= time.monotonic() - started < 5


@responses.activate
def test_unexpected_errors_say_so_in_one_sentence_with_the_traceback_kept():
    def broken(_client):
        raise KeyError("a value holding %s" % KEY)

    with pytest.raises(_api_client.UpstashUnexpectedError) as caught:
        _api_client.api_call(dict(email=EMAIL, api_key=KEY, api_url=API), broken, pytest.fail)
    message = str(caught.value)
    assert message.startswith("Unexpected internal error in upstash.cloud (KeyError: ")
    assert message.endswith("; this is a bug, please report it with the traceback that -vvv shows.")
    assert KEY not in message
    assert "Traceback" in caught.value.traceback and "broken" in caught.value.traceback


def test_python_warnings_and_the_clients_own_reach_ansible_warnings_once():
    seen = []

    def read(_client):
        for _time in range(3):
            warnings.warn("something odd", UserWarning)
        return "answer"

    options = dict(email=EMAIL, api_key=KEY, api_url="https://api.example.test", validate_certs=False)
    assert _api_client.api_call(options, read, seen.append) == "answer"
    assert seen == [
        "TLS certificates of api.example.test are not verified (validate_certs is false): use this only for a test endpoint you control.",
        "UserWarning: something odd",
    ]


@pytest.mark.parametrize("collecting", [True, False])
@pytest.mark.parametrize("fails", [False, True])
def test_cycle_collection_is_paused_during_a_call_and_left_as_it_was(collecting, fails):
    seen = []

    def read(_client):
        seen.append(gc.isenabled())
        if fails:
            raise KeyError("broken")
        return "answer"

    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        try:
            _api_client.api_call(dict(email=EMAIL, api_key=KEY, api_url=API), read, pytest.fail)
        except _api_client.UpstashUnexpectedError:
            assert fails
        assert seen == [False] and gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()


def test_the_platform_trust_store_is_used_without_ca_path(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    assert client()._verify == str(bundle)  # pylint: disable=protected-access
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    assert client()._verify == str(tmp_path)  # pylint: disable=protected-access


def test_requests_own_bundle_only_where_the_system_has_none(monkeypatch, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(_transport.ssl, "get_default_verify_paths", lambda: ssl.DefaultVerifyPaths(
        None, str(empty), "SSL_CERT_FILE", str(tmp_path / "none.pem"), "SSL_CERT_DIR", str(empty)))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert client()._verify is True  # pylint: disable=protected-access
