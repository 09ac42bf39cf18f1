# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client of the Upstash API, with HTTP mocked at the requests layer: options, requests, and every
failure as one sentence that never holds the credential."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import time
import warnings
from urllib.parse import quote

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, ProtocolError, ReadTimeoutError

from ansible_collections.upstash.cloud.plugins.module_utils._api import Client, api_argument_spec, api_call, bounded_seconds
from ansible_collections.upstash.cloud.plugins.module_utils._errors import NotFound, UpstashError
from ansible_collections.upstash.cloud.plugins.module_utils._secrets import MASK

API = "https://api.example.test"
EMAIL = "ops@example.com"
KEY = "unit-test-api-key-4b7e1c"
PAIR = base64.b64encode(("%s:%s" % (EMAIL, KEY)).encode()).decode()
CLUSTER = "7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01"
LIST = "/v2/kafka/connectors/" + CLUSTER
LIST_URL = API + LIST
CLUSTERS_URL = API + "/v2/kafka/clusters"
CONNECTORS = [{"connector_id": "a", "name": "one", "state": "running"}, {"connector_id": "b", "name": "two", "state": "failed"}]
CONNECTOR = {"connector_id": "c-1", "name": "mongo-sink", "cluster_id": CLUSTER, "state": "pending", "properties": {}}
PROPERTIES = {"connector.class": "com.mongodb.kafka.connect.MongoSinkConnector", "topics": "orders"}
# What a message may never hold: any 8 characters of the key, of its base64 pair form, or of their escapes.
FORMS = (KEY, PAIR, quote(KEY, safe=""), "".join("\\u%04x" % ord(char) for char in KEY))


def client(**overrides):
    options = dict(email=EMAIL, api_key=KEY, api_url=API, retries=3, timeout=5)
    options.update(overrides)
    return Client(**options)


def failure(call, status=None, kind=UpstashError):
    """The sentence call fails with, checked for what every sentence must be."""
    with pytest.raises(kind) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    assert not any(form[at:at + 8] in message for form in FORMS for at in range(len(form) - 7)), message
    assert caught.value.status == status
    return message


# --- options ------------------------------------------------------------------------------------------

def test_the_shared_options_and_where_they_also_come_from():
    spec = api_argument_spec()
    fallbacks = dict((name, option["fallback"][1]) for name, option in spec.items() if "fallback" in option)
    assert fallbacks == {"email": ["UPSTASH_EMAIL"], "api_key": ["UPSTASH_API_KEY"], "api_url": ["UPSTASH_API_URL"],
                         "validate_certs": ["UPSTASH_VALIDATE_CERTS"], "ca_path": ["UPSTASH_CA_PATH"], "max_response_mb": ["UPSTASH_MAX_RESPONSE_MB"]}
    assert dict((name, (option["type"], option.get("default"))) for name, option in spec.items()) == {
        "email": ("str", None), "api_key": ("str", None), "api_url": ("str", "https://api.upstash.com"), "validate_certs": ("bool", True),
        "ca_path": ("path", None), "timeout": ("float", 30.0), "retries": ("int", 3), "max_response_mb": ("int", 512), "redact": ("bool", True)}
    assert [name for name, option in spec.items() if option.get("no_log")] == ["api_key"]


TIMEOUT_REFUSED = "Invalid timeout %s: it must be a number of seconds greater than 0 and at most 3600."
RETRIES_REFUSED = "Invalid retries %s: it must be a whole number from 0 to 10."


@pytest.mark.parametrize("options, message", [
    (dict(email=None, api_key=None), "Missing credentials: set email (or UPSTASH_EMAIL) and api_key (or UPSTASH_API_KEY)."),
    (dict(email=""), "Missing credentials: set email (or UPSTASH_EMAIL)."),
    (dict(api_key=None), "Missing credentials: set api_key (or UPSTASH_API_KEY)."),
    (dict(api_key="key-\u2013-pasted"), "Invalid api_key: HTTP basic authentication carries only Latin-1 characters, and it has others "
                                        "(check for a pasted quote, dash or space)."),
    (dict(api_url="ftp://example.net"), "Invalid api_url 'ftp://example.net': it must be an http:// or https:// URL with a host name."),
    (dict(api_url="not a url"), "Invalid api_url 'not a url': it must be an http:// or https:// URL with a host name."),
    (dict(api_url="ftp://example.net/" + KEY), "Invalid api_url '(withheld: it repeats a credential)': it must be an http:// or https:// "
                                               "URL with a host name."),
    (dict(api_url="https://ops:%s@example.net" % KEY), "Invalid api_url: it must not contain credentials; use the email and api_key options instead."),
    (dict(timeout=float("nan")), TIMEOUT_REFUSED % "nan"),
    (dict(timeout=float("inf")), TIMEOUT_REFUSED % "inf"),
    (dict(timeout=0), TIMEOUT_REFUSED % "0"),
    (dict(timeout=3600.5), TIMEOUT_REFUSED % "3600.5"),
    (dict(timeout="soon"), TIMEOUT_REFUSED % "'soon'"),
    (dict(retries=-1), RETRIES_REFUSED % "-1"),
    (dict(retries=11), RETRIES_REFUSED % "11"),
    (dict(retries=1.5), RETRIES_REFUSED % "1.5"),
    (dict(retries=True), RETRIES_REFUSED % "True"),
    (dict(max_response_mb=0), "Invalid max_response_mb 0: it must be a whole number of 1 or more."),
    (dict(max_response_mb=True), "Invalid max_response_mb True: it must be a whole number of 1 or more."),
])
def test_unusable_options_are_refused_in_one_sentence(options, message):
    assert failure(lambda: client(**options)) == message


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 0, -1, 3600.001, "5", None, True])
def test_a_number_of_seconds_is_bounded(value):
    assert failure(lambda: bounded_seconds(value, "wait_timeout")).startswith("Invalid wait_timeout ")


def test_the_bounds_themselves_are_accepted():
    assert bounded_seconds(3600, "wait_timeout") == 3600.0 and bounded_seconds(0.001, "wait_timeout") == 0.001
    built = client(retries=10, timeout=3600, max_response_mb=1)
    assert (built.retries, built.timeout, built.max_bytes) == (10, 3600.0, 1048576)
    assert KEY not in repr(built.identity)


def test_a_missing_ca_path_is_named_from_where_it_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert failure(lambda: client(ca_path="certs/ca.pem")) == (
        "Invalid ca_path %s: no such file or directory (a relative path is read from the playbook's directory)." % (tmp_path / "certs" / "ca.pem"))


@responses.activate
def test_trust_follows_validate_certs_and_ca_path(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    responses.get(LIST_URL, json=[])
    client(ca_path=str(bundle)).list_connectors(CLUSTER)
    insecure = client(validate_certs=False)
    insecure.list_connectors(CLUSTER)
    assert [call.request.req_kwargs["verify"] for call in responses.calls] == [str(bundle), False]


# --- requests -----------------------------------------------------------------------------------------

@responses.activate
def test_a_request_carries_basic_auth_a_user_agent_and_asks_for_json():
    responses.get(LIST_URL, json=CONNECTORS)
    assert client().list_connectors(CLUSTER) == CONNECTORS
    headers = responses.calls[0].request.headers
    assert (headers["Authorization"], headers["User-Agent"], headers["Accept"]) == ("Basic " + PAIR, "ansible-upstash.cloud", "application/json")
    assert responses.calls[0].request.req_kwargs["timeout"] == 5


@responses.activate
def test_strings_of_an_answer_holding_the_credential_are_withheld_keys_too_and_lone_surrogates_replaced():
    echoed = {"connector_id": "a", "trace": "auth=" + quote(KEY, safe=""), "n": 1, "tasks": ["Bearer " + PAIR, "kept"], KEY: None, "odd": "x\ud800"}
    responses.get(LIST_URL, body=json.dumps([echoed]))
    assert client().list_connectors(CLUSTER) == [{"connector_id": "a", "trace": MASK, "n": 1, "tasks": [MASK, "kept"], MASK: None, "odd": "x\ufffd"}]


@pytest.mark.parametrize("call, method, path, body, answer", [
    (lambda api: api.list_clusters(), "GET", "/v2/kafka/clusters", None, [{"cluster_id": CLUSTER}]),
    (lambda api: api.list_connectors(CLUSTER), "GET", LIST, None, CONNECTORS),
    (lambda api: api.get_connector("c-1"), "GET", "/v2/kafka/connector/c-1", None, CONNECTOR),
    (lambda api: api.create_connector(CLUSTER, "mongo-sink", PROPERTIES), "POST", "/v2/kafka/connector",
     {"name": "mongo-sink", "cluster_id": CLUSTER, "properties": PROPERTIES}, CONNECTOR),
    (lambda api: api.update_connector("c-1", {"topics": "orders,refunds"}), "POST", "/v2/kafka/update-connector/c-1", {"topics": "orders,refunds"}, "OK"),
    (lambda api: api.delete_connector("c-1"), "DELETE", "/v2/kafka/connector/c-1", None, "OK"),
    (lambda api: api.act("c-1", "pause"), "POST", "/v2/kafka/connector/c-1/pause", None, "OK"),
    (lambda api: api.act("c-1", "start"), "POST", "/v2/kafka/connector/c-1/start", None, "OK"),
    (lambda api: api.act("c-1", "restart"), "POST", "/v2/kafka/connector/c-1/restart", None, "OK"),
])
@responses.activate
def test_each_endpoint_sends_its_method_path_and_body(call, method, path, body, answer):
    responses.add(method, API + path, json=answer)
    assert call(client()) == answer
    request = responses.calls[0].request
    assert len(responses.calls) == 1 and request.method == method
    assert (json.loads(request.body) if request.body else None) == body
    assert body is None or request.headers["Content-Type"] == "application/json"


@responses.activate
def test_the_path_of_api_url_is_kept_as_a_prefix_and_named_in_messages():
    responses.get("http://127.0.0.1:8080/proxy/v2/kafka/connectors/" + CLUSTER, json=[])
    responses.get("http://127.0.0.1:8080/proxy/v2/kafka/connector/c-1", status=500, body="upstream down")
    proxied = client(api_url="http://127.0.0.1:8080/proxy/", retries=0)
    assert proxied.list_connectors(CLUSTER) == []
    assert failure(lambda: proxied.get_connector("c-1"), 500) == "HTTP 500 from 127.0.0.1:8080 for GET /proxy/v2/kafka/connector/c-1: upstream down."


class TaggedInt(int):
    """A templated value: a subclass with an internal name."""


@pytest.mark.parametrize("bad_id, shown", [
    ("a/b", "'a/b'"), ("a?b", "'a?b'"), ("a%2fb", "'a%2fb'"), ("..", "'..'"), ("", "''"), ("a b", "'a b'"), ("\u00fc", "'\u00fc'"),
    ("a\nb", "'a\\nb'"), (None, "a value of type null"), (TaggedInt(7), "a value of type int"), (["x"], "a value of type list"),
])
@pytest.mark.parametrize("call, what", [
    (lambda api, value: api.list_connectors(value), "cluster_id"),
    (lambda api, value: api.create_connector(value, "x", PROPERTIES), "cluster_id"),
    (lambda api, value: api.get_connector(value), "connector_id"),
    (lambda api, value: api.update_connector(value, {}), "connector_id"),
    (lambda api, value: api.delete_connector(value), "connector_id"),
    (lambda api, value: api.act(value, "pause"), "connector_id"),
])
@responses.activate
def test_an_id_is_validated_before_any_request(call, what, bad_id, shown):
    assert failure(lambda: call(client(), bad_id)) == (
        "Invalid %s %s: it must be a non-empty string of letters, digits, '-' and '_'." % (what, shown))
    assert len(responses.calls) == 0


@responses.activate
def test_values_are_cut_to_about_100_characters_in_messages():
    huge = "c" * 10 ** 7
    message = failure(lambda: client().list_connectors("a/" + huge))
    assert message.startswith("Invalid cluster_id 'a/ccc") and "...: it must be" in message and len(message) < 200
    message = failure(lambda: client().list_connectors(huge))
    assert message.endswith("...: it is 10000000 characters long, and no id of the API is longer than 256.") and len(message) < 200
    assert len(responses.calls) == 0
    longest = "c" * 256
    responses.get(API + "/v2/kafka/connectors/" + longest, status=500, body="no such cluster " + "d" * 10 ** 6)
    message = failure(lambda: client(retries=0).list_connectors(longest), 500)
    assert message.startswith("HTTP 500 from api.example.test for GET /v2/kafka/connectors/cccc") and len(message) < 300
    responses.get(API + "/v2/kafka/connectors/" + longest, json={"connectors": []})
    assert len(failure(lambda: client().list_connectors(longest), 200)) < 300


# --- answers with an error status ---------------------------------------------------------------------

AUTH_HINT = "; check the email and api_key options (or UPSTASH_EMAIL and UPSTASH_API_KEY)."


@pytest.mark.parametrize("method, path, status, body, message", [
    ("GET", LIST, 401, {"error": "Unauthorized"}, "Authentication failed at api.example.test (HTTP 401 for GET %s: Unauthorized)%s" % (LIST, AUTH_HINT)),
    ("POST", "/v2/kafka/connector", 403, "forbidden", "Authentication failed at api.example.test (HTTP 403 for POST /v2/kafka/connector: "
                                                      "forbidden)" + AUTH_HINT),
    ("GET", LIST, 400, {"message": "bad cluster"}, "HTTP 400 from api.example.test for GET %s: bad cluster." % LIST),
    ("POST", "/v2/kafka/connector", 400, {"detail": "name already used"}, "HTTP 400 from api.example.test for POST /v2/kafka/connector: name already used."),
    ("GET", LIST, 500, {"error": "database\n  is on fire"}, "HTTP 500 from api.example.test for GET %s: database is on fire." % LIST),
    ("GET", LIST, 502, "<html><body>Bad gateway</body></html>", "HTTP 502 from api.example.test for GET %s: an HTML page." % LIST),
    ("GET", LIST, 500, "", "HTTP 500 from api.example.test for GET %s: (empty body)." % LIST),
    ("GET", LIST, 500, "failed: mongodb://app:Db-Pass-1@h/x", "HTTP 500 from api.example.test for GET %s: failed: mongodb://app:********@h/x." % LIST),
    ("GET", "/v2/kafka/clusters", 404, "Not Found", "HTTP 404 from api.example.test for GET /v2/kafka/clusters: Not Found; check that api_url "
                                                    "is the API's base URL (https://api.upstash.com, with no /v2)."),
    ("POST", "/v2/kafka/connector", 307, "", "HTTP 307 from api.example.test for POST /v2/kafka/connector: (empty body); a change is never "
                                             "sent on to another address."),
])
@responses.activate
def test_an_error_status_is_one_sentence_with_the_status_the_host_and_the_api_words(method, path, status, body, message):
    kwargs = dict(json=body) if isinstance(body, dict) else dict(body=body)
    responses.add(method, API + path, status=status, headers={"Location": API + "/elsewhere"} if status == 307 else {}, **kwargs)
    api = client(retries=0)
    call = (lambda: api.list_connectors(CLUSTER)) if path == LIST else api.list_clusters if method == "GET" else (
        lambda: api.create_connector(CLUSTER, "x", PROPERTIES))
    assert failure(call, status) == message
    assert len(responses.calls) == 1


@pytest.mark.parametrize("said", [
    "bad key " + KEY, "Authorization: Basic " + PAIR, "key=" + quote(KEY, safe=""), "key " + "".join("%%%02X" % ord(c) for c in KEY),
    "key " + "".join("\\u%04x" % ord(char) for char in KEY), "key %s\n   %s" % (KEY[:10], KEY[10:]), "x" * 190 + KEY,
])
@responses.activate
def test_api_words_repeating_the_credential_are_withheld_whole(said):
    responses.get(LIST_URL, status=500, body=said)
    assert failure(lambda: client(retries=0).list_connectors(CLUSTER), 500) == (
        "HTTP 500 from api.example.test for GET %s: the API's message is withheld: it repeats a credential." % LIST)


@responses.activate
def test_an_answer_holding_the_credential_keeps_its_data_but_not_those_strings():
    echoed = [{"connector_id": "a", "name": "echo", "state_error_message": "auth=Basic%20" + PAIR.replace("=", "%3D"), "properties": {KEY: 1}}]
    responses.get(LIST_URL, json=echoed)
    assert client().list_connectors(CLUSTER) == [{"connector_id": "a", "name": "echo", "state_error_message": "********", "properties": {"********": 1}}]


@responses.activate
def test_a_redirect_to_another_host_loses_the_credentials_and_names_who_answered():
    other = "https://elsewhere.example.net" + LIST
    responses.get(LIST_URL, status=302, headers={"Location": other})
    responses.get(other, status=401, json={"error": "Unauthorized"})
    assert failure(lambda: client().list_connectors(CLUSTER), 401) == (
        "Authentication failed at elsewhere.example.net (redirected from api.example.test) (HTTP 401 for GET %s: Unauthorized); credentials are "
        "never sent to another host, so set api_url to that host if you trust it." % LIST)
    assert "Authorization" not in responses.calls[1].request.headers


# --- a 404 means "no such id" only from an endpoint that has shown it is the API -----------------------

GONE = "/v2/kafka/connector/gone"


@pytest.mark.parametrize("probe, trusted, message", [
    (dict(json=[]), True, "Kafka connector 'gone' was not found at api.example.test (HTTP 404 for DELETE %s: no such connector)." % GONE),
    (dict(status=404, body="Not Found"), False,
     "HTTP 404 from api.example.test for GET /v2/kafka/clusters: Not Found; check that api_url is the API's base URL (https://api.upstash.com, with no /v2)."),
    (dict(body="<html>Welcome to nginx</html>"), False, "The answer from api.example.test to GET /v2/kafka/clusters is an HTML page, not the API's JSON."),
    (dict(json={"clusters": []}), False,
     "The answer from api.example.test to GET /v2/kafka/clusters is a JSON object; expected a JSON list of cluster objects."),
])
@responses.activate
def test_a_404_from_an_endpoint_not_yet_shown_to_be_the_api_is_checked_first(probe, trusted, message):
    responses.delete(API + GONE, status=404, body="no such connector")
    responses.get(CLUSTERS_URL, **probe)
    with pytest.raises(UpstashError) as caught:
        client().delete_connector("gone")
    assert isinstance(caught.value, NotFound) is trusted and str(caught.value) == message
    assert [call.request.url for call in responses.calls] == [API + GONE, CLUSTERS_URL]


@responses.activate
def test_a_404_from_an_endpoint_that_answered_as_the_api_is_trusted_at_once():
    responses.get(LIST_URL, json=CONNECTORS)
    responses.get(API + "/v2/kafka/connectors/gone", status=404, json={"error": "cluster not found"})
    api = client()
    api.list_connectors(CLUSTER)
    assert failure(lambda: api.list_connectors("gone"), 404, NotFound) == (
        "Kafka cluster 'gone' was not found at api.example.test (HTTP 404 for GET /v2/kafka/connectors/gone: cluster not found).")
    assert len(responses.calls) == 2


# --- retries, per method ------------------------------------------------------------------------------

@pytest.mark.parametrize("method, statuses, retries, calls, ok", [
    ("GET", [503, 200], 3, 2, True),
    ("GET", [500, 502, 504, 429, 200], 4, 5, True),
    ("GET", [503, 503, 503, 503], 2, 3, False),
    ("GET", [503, 200], 0, 1, False),
    ("GET", [400, 200], 3, 1, False),
    ("POST", [500, 200], 3, 1, False),
    ("POST", [502, 200], 3, 1, False),
    ("POST", [504, 200], 3, 1, False),
    ("POST", [503, 200], 3, 2, True),
    ("POST", [429, 429, 200], 3, 3, True),
    ("POST", [413, 200], 3, 1, False),
    ("DELETE", [503, 200], 3, 2, True),
    ("DELETE", [500, 200], 3, 1, False),
])
@responses.activate
def test_what_is_retried_depends_on_the_method(method, statuses, retries, calls, ok):
    path = {"GET": LIST_URL, "POST": API + "/v2/kafka/connector", "DELETE": API + "/v2/kafka/connector/c-1"}[method]
    for status in statuses:
        # urllib3 on its own would repeat a 413 carrying Retry-After
        responses.add(method, path, status=status, json=CONNECTORS if method == "GET" else CONNECTOR if status == 200 else "busy",
                      headers={"Retry-After": "1"} if status == 413 else {})
    api = client(retries=retries)
    call = {"GET": lambda: api.list_connectors(CLUSTER), "POST": lambda: api.create_connector(CLUSTER, "x", PROPERTIES),
            "DELETE": lambda: api.delete_connector("c-1")}[method]
    if ok:
        call()
    else:
        assert failure(call, statuses[calls - 1]).startswith("HTTP %d from api.example.test for %s " % (statuses[calls - 1], method))
    assert len(responses.calls) == calls


# --- requests that got no usable answer ---------------------------------------------------------------

def lost(cause):
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/x", ProtocolError("Connection aborted.", cause)))


@pytest.mark.parametrize("exc, options, message", [
    (requests.exceptions.ConnectTimeout("connect timed out"), {}, "Timed out connecting to api.example.test after 5 seconds (4 tries)."),
    (requests.exceptions.ConnectionError(MaxRetryError(None, "/x", ReadTimeoutError(None, "/x", "Read timed out."))), {},
     "Timed out after 5 seconds waiting for api.example.test to answer GET %s (4 tries)." % LIST),
    (requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), {},
     "TLS certificate verification failed for api.example.test ([SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed); set ca_path "
     "to the CA bundle that signs it, or validate_certs to false for a test endpoint."),
    (requests.exceptions.SSLError("[SSL: WRONG_VERSION_NUMBER] wrong version number"), {},
     "The TLS connection to api.example.test failed ([SSL: WRONG_VERSION_NUMBER] wrong version number); if that port serves plain HTTP, "
     "api_url must start with http://."),
    (lost(http.client.RemoteDisconnected("Remote end closed connection without response")), dict(api_url="http://api.example.test:8443", retries=0),
     # Nothing there completes a TLS handshake, so the scheme is not blamed (the integration suite has a real TLS port).
     "The connection to api.example.test:8443 was lost during GET %s (1 try): Remote end closed connection without response." % LIST),
    (lost(http.client.IncompleteRead(b"x" * 26, 100)), dict(retries=2),
     "The answer from api.example.test to GET %s was cut off before its end (26 bytes received, 100 more expected; 3 tries)." % LIST),
    (requests.exceptions.ProxyError("Unable to connect to proxy"), {},
     "Could not reach api.example.test through the proxy set by HTTPS_PROXY, HTTP_PROXY or ALL_PROXY for GET %s (4 tries): Unable to "
     "connect to proxy; fix the proxy, or add the host to NO_PROXY." % LIST),
    (requests.exceptions.TooManyRedirects("Exceeded 30 redirects."), {}, "Too many redirects from api.example.test for GET %s." % LIST),
    (requests.exceptions.ConnectionError("proxy said: Basic " + PAIR), {},
     "The connection to api.example.test was lost during GET %s (4 tries): the message is withheld: it repeats a credential." % LIST),
])
@responses.activate
def test_a_request_without_a_usable_answer_is_one_sentence_naming_the_host(exc, options, message):
    api = client(**options)
    responses.get(api.base_url + LIST, body=exc)
    assert failure(lambda: api.list_connectors(CLUSTER)) == message


@responses.activate
def test_a_mutation_that_may_have_been_processed_says_it_was_not_repeated():
    responses.post(API + "/v2/kafka/connector", body=lost(ReadTimeoutError(None, "/x", "Read timed out.")))
    assert failure(lambda: client().create_connector(CLUSTER, "x", PROPERTIES)) == (
        "Timed out after 5 seconds waiting for api.example.test to answer POST /v2/kafka/connector (1 try, not repeated as the API may have "
        "acted on it).")


# --- answers that are not the API's JSON --------------------------------------------------------------

@pytest.mark.parametrize("body, what", [
    (b"<html><body>Login</body></html>", "is an HTML page, not the API's JSON."),
    (b"", "is an empty body, not the API's JSON."),
    (b'[{"name": "a"}, {"na', "is truncated or malformed JSON, not the API's JSON."),
    (b"OK", "is text that is not JSON, not the API's JSON."),
    (b'{"connectors": []}', "is a JSON object; expected a JSON list of connector objects."),
    (b'[{"name": "a"}, "b"]', "is a JSON list holding a JSON string; expected a JSON list of connector objects."),
    (b"null", "is JSON null; expected a JSON list of connector objects."),
    (b"[" * 33 + b"]" * 33, "is nested deeper than 32 levels, which no real answer is."),
    (b"[" * 100000 + b"]" * 100000, "is nested deeper than 32 levels, which no real answer is."),
])
@responses.activate
def test_an_answer_of_the_wrong_shape_is_named(body, what):
    responses.get(LIST_URL, body=body, content_type="application/json")
    assert failure(lambda: client().list_connectors(CLUSTER), 200) == "The answer from api.example.test to GET %s %s" % (LIST, what)


@responses.activate
def test_text_a_module_process_could_not_return_is_made_valid():
    responses.get(LIST_URL, body=b'[{"name": "a\\ud800b", "x\\udc00": ["\\ud83d\\ude00", "bad \xff bytes"]}]', content_type="application/json")
    assert client().list_connectors(CLUSTER) == [{"name": "a\ufffdb", "x\ufffd": ["\U0001f600", "bad \ufffd bytes"]}]


@responses.activate
def test_an_answer_is_limited_by_its_decompressed_size_and_an_error_page_read_only_as_far_as_needed():
    compressed = gzip.compress(b" " * (3 * 1024 * 1024))
    responses.get(LIST_URL, body=compressed, headers={"Content-Encoding": "gzip"}, content_type="application/json")
    responses.get(CLUSTERS_URL, status=500, body="disk full " + "x" * (5 * 1024 * 1024))
    api = client(max_response_mb=1, retries=0)
    assert failure(lambda: api.list_connectors(CLUSTER)) == (
        "The answer from api.example.test to GET %s is larger than 1 MiB (max_response_mb); raise max_response_mb if it is expected." % LIST)
    assert failure(api.list_clusters, 500) == "HTTP 500 from api.example.test for GET /v2/kafka/clusters: disk full %s...." % ("x" * 90)


# --- the end of the call ------------------------------------------------------------------------------

@responses.activate
def test_nothing_is_sent_once_the_call_is_cancelled_or_its_time_is_up():
    responses.get(LIST_URL, json=[])
    ended = client()
    ended.call.end = time.monotonic()
    assert failure(lambda: ended.list_connectors(CLUSTER)) == "Nothing was sent for GET %s: the task's time was up." % LIST
    ended.call.end = None
    assert ended.list_connectors(CLUSTER) == []
    cancelled = client()
    cancelled.call.cancel()
    assert failure(lambda: cancelled.list_connectors(CLUSTER)) == "Nothing was sent for GET %s: the task's time was up." % LIST
    assert len(responses.calls) == 1


# --- api_call, as every plugin runs a client ----------------------------------------------------------

def test_api_call_turns_a_bug_into_one_sentence_without_the_credential_and_keeps_the_traceback():
    def broken(_client):
        raise KeyError("a value holding %s" % KEY)

    with pytest.raises(UpstashError) as caught:
        api_call(dict(email=EMAIL, api_key=KEY, api_url=API), broken, pytest.fail)
    assert str(caught.value) == ("Unexpected internal error in upstash.cloud (the message is withheld: it repeats a credential); this is a "
                                 "bug, please report it with the traceback that -vvv shows.")
    assert "broken" in caught.value.traceback


def test_api_call_passes_its_own_errors_and_interrupts_through():
    refused = UpstashError("refused", 400)

    def refuse(_client):
        raise refused

    def interrupt(_client):
        raise KeyboardInterrupt()

    with pytest.raises(UpstashError) as caught:
        api_call(dict(email=EMAIL, api_key=KEY), refuse, pytest.fail)
    assert caught.value is refused
    with pytest.raises(KeyboardInterrupt):
        api_call(dict(email=EMAIL, api_key=KEY), interrupt, pytest.fail)
    assert failure(lambda: api_call(dict(api_key=KEY), refuse, pytest.fail)) == "Missing credentials: set email (or UPSTASH_EMAIL)."


def test_api_call_hands_each_python_warning_on_once_without_the_credential():
    seen = []

    def read(_client):
        for _time in range(3):
            warnings.warn("something odd", UserWarning)
        warnings.warn("odd key " + KEY, UserWarning)
        return "answer"

    assert api_call(dict(email=EMAIL, api_key=KEY, api_url=API, validate_certs=False), read, seen.append) == "answer"
    assert seen == ["TLS certificates of api.example.test are not verified (validate_certs is false): use this only for a test endpoint you "
                    "control.", "UserWarning: something odd", "UserWarning: the message is withheld: it repeats a credential"]
