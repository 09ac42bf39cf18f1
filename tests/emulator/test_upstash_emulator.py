# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The emulator: its catalog's state machine on a fake clock, then as a real process every endpoint, the sample data,
the control API, every fault, the options and ChildEmulator."""

from __future__ import annotations

import base64
import collections
import http.client
import importlib.util
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import types
from urllib.parse import urlsplit

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATOR = os.path.join(ROOT, "emulator", "upstash_emulator.py")
SPEC = importlib.util.spec_from_file_location("upstash_emulator", EMULATOR)
upstash_emulator = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(upstash_emulator)

EMAIL = "unit@example.com"
# Distinctive so a leak into stats or logs is unmistakable.
API_KEY = "unit-emulator-key-9d2f"
PROD = "7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01"
STAGING = "staging_cluster-02"
EMPTY = "e0e0e0e0-0000-4000-8000-000000000003"
PROD_NAMES = ["mongo-sink", "pg-source", "s3-archive", "es-sink"]
PG_SOURCE = "/v2/kafka/connector/cHJvZC1ldmVudHMvcGctc291cmNl"
MONGO = {"connector.class": "com.mongodb.kafka.connect.MongoSinkConnector", "topics": "orders,refunds",
         "connection.uri": "mongodb://app:New-Pass-1@db.example.net/orders", "tasks.max": "2"}
# Every documented field with the type Upstash's Terraform provider decodes it into (Go int64 and int: int).
CLUSTER_FIELDS = {
    "cluster_id": str, "name": str, "region": str, "type": str, "multizone": bool, "tcp_endpoint": str, "rest_endpoint": str,
    "state": str, "username": str, "password": str, "max_retention_size": int, "max_retention_time": int,
    "max_messages_per_second": int, "max_message_size": int, "max_partitions": int, "creation_time": int}
CONNECTOR_FIELDS = {
    "connector_id": str, "name": str, "customer_id": str, "cluster_id": str, "creation_time": int, "deletion_time": int,
    "state": str, "state_error_message": str, "connector_state": str, "tasks": list, "topics": list, "connector_class": str,
    "properties": dict, "encoded_username": str, "TTL": int, "properties_encrypted": str, "user_password": str}
# Fields that only some connectors have.
OPTIONAL_FIELDS = {"properties_encrypted", "user_password"}
URL_LINE = re.compile(r"\AUPSTASH_API_URL=(https?)://127\.0\.0\.1:([0-9]+)\n\Z")


def basic(email=EMAIL, key=API_KEY):
    return "Basic " + base64.b64encode(("%s:%s" % (email, key)).encode()).decode()


Answer = collections.namedtuple("Answer", "status headers body")


def _json(answer):
    return json.loads(answer.body.decode("utf-8"))


def _first_line(process, timeout=60):
    # readline() alone could hang the whole test run if the emulator stalled before printing.
    box = []
    reader = threading.Thread(target=lambda: box.append(process.stdout.readline()))
    reader.daemon = True
    reader.start()
    reader.join(timeout)
    return box[0] if box else b""


class Emulator(upstash_emulator.ChildEmulator):
    """An emulator process with its stderr kept; the control API as ChildEmulator calls it, the API with
    http.client so nothing is hidden by a helper library."""

    def __init__(self, *args, credentials=True, environment=None):  # pylint: disable=super-init-not-called
        command = [sys.executable, EMULATOR, "--port", "0"] + (["--email", EMAIL, "--api-key", API_KEY] if credentials else [])
        # Only the given UPSTASH_ variables: the emulator takes its default credentials from them.
        env = dict((name, value) for name, value in os.environ.items() if not name.startswith("UPSTASH_"))
        env.update(environment or {})
        self.process = subprocess.Popen(command + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.line = _first_line(self.process).decode("utf-8")
        # Exactly one line, the URL, on stdout.
        if not URL_LINE.match(self.line):
            self.process.kill()
            raise RuntimeError("emulator did not start: %r %r" % (self.line, self.process.communicate()[1]))
        self.url = self.line.strip().split("=", 1)[1]
        self.host, self.port = urlsplit(self.url).hostname, urlsplit(self.url).port
        self.timeout, self.context = 30, None

    def connection(self, timeout=30):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, authorization=None, body=None, headers=None, timeout=30):
        sent = dict(headers or {}, **({} if authorization is None else {"Authorization": authorization}))
        connection = self.connection(timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            answer = Answer(response.status, response.headers, response.read())
        finally:
            connection.close()
        # Every answer says its length (a HEAD: the length of the GET's).
        assert method == "HEAD" or int(answer.headers["Content-Length"]) == len(answer.body), answer
        return answer

    def api(self, path, method="GET", payload=None, **kwargs):
        kwargs.setdefault("authorization", basic())
        if payload is not None:
            kwargs["body"] = json.dumps(payload)
        return self.request(method, path, **kwargs)

    def api_json(self, path):
        answer = self.api(path)
        assert answer.status == 200, answer
        return _json(answer)

    def stop(self, sig=signal.SIGTERM):  # pylint: disable=arguments-differ
        """Signal the process; return (exit status, rest of stdout, stderr)."""
        self.process.send_signal(sig)
        try:
            out, err = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        return self.process.returncode, out, err


@pytest.fixture(scope="module")
def running():
    emulator = Emulator("--pending-seconds", "0.2")
    yield emulator
    # Whatever the traffic and faults, the emulator stays quiet and exits cleanly.
    assert emulator.stop() == (0, b"", b"")


@pytest.fixture
def emulator(running):
    running.reset()
    yield running
    running.reset()


@pytest.fixture(scope="module")
def big():
    emulator = Emulator("--big-cluster-size", "20000", "--extra-clusters", "3")
    yield emulator
    assert emulator.stop()[0] == 0


# --- the catalog: connector mutations and their state machine, on a fake clock ----------------------------

PG, S3, MONGO_SINK = "cHJvZC1ldmVudHMvcGctc291cmNl", "cHJvZC1ldmVudHMvczMtYXJjaGl2ZQ", "cHJvZC1ldmVudHMvbW9uZ28tc2luaw"
# Upstash's own documentation shows a MongoDB URI with a scheme the driver refuses.
WRONG_SCHEME = "mongo://app:New-Pass-1@db.example.net/orders"


@pytest.fixture
def clock():
    return types.SimpleNamespace(now=1000.0)


@pytest.fixture
def catalog(clock):
    return upstash_emulator.Catalog(upstash_emulator.sample_data(EMAIL), pending_seconds=2.0, clock=lambda: clock.now)


def read(catalog, connector_id):
    return json.loads(catalog.connector(connector_id))


def names(catalog, cluster_id):
    return [connector["name"] for connector in json.loads(catalog.connector_list(cluster_id))]


def test_a_new_connector_is_pending_then_running(catalog, clock):
    # Numbers and booleans are kept as Kafka Connect keeps them, as strings.
    properties = dict(MONGO, **{"tasks.max": 2, "errors.log.enable": True, "errors.retry.delay.max.ms": 0.5})
    status, created = catalog.create({"name": "orders-sink", "cluster_id": EMPTY, "properties": properties}, EMAIL)
    assert status == 200
    assert created["properties"] == dict(MONGO, **{"errors.log.enable": "true", "errors.retry.delay.max.ms": "0.5"})
    assert created["state"] == "pending" and created["tasks"] == [] and created["connector_state"] == ""
    assert created["TTL"] > 0 and created["customer_id"] == EMAIL and created["cluster_id"] == EMPTY
    assert created["topics"] == ["orders", "refunds"] and created["connector_class"] == MONGO["connector.class"]
    assert read(catalog, created["connector_id"]) == created and names(catalog, EMPTY) == ["orders-sink"]
    clock.now += 1.9
    assert read(catalog, created["connector_id"])["state"] == "pending"
    clock.now += 0.2
    running = json.loads(catalog.connector_list(EMPTY))[0]
    assert running["state"] == "running" and running["connector_state"] == "RUNNING" and running["TTL"] == 0
    assert running["tasks"] == [{"id": 0, "state": "RUNNING", "trace": ""}, {"id": 1, "state": "RUNNING", "trace": ""}]


def test_a_connection_uri_with_the_wrong_scheme_fails_with_the_reason(catalog, clock):
    properties = dict(MONGO, **{"connection.uri": WRONG_SCHEME})
    created = catalog.create({"name": "bad-sink", "cluster_id": EMPTY, "properties": properties}, EMAIL)[1]
    clock.now += 2
    failed = read(catalog, created["connector_id"])
    # As Upstash's docs show such a connector: no worker state, no tasks, the TTL it got when created.
    assert (failed["state"], failed["connector_state"], failed["tasks"], failed["TTL"]) == ("failed", "", [], created["TTL"])
    assert failed["state_error_message"] == (
        "Connector configuration is invalid and contains the following 1 error(s):\nInvalid value %s for configuration "
        "connection.uri: The connection string is invalid. Connection strings must start with either 'mongodb://' "
        "or 'mongodb+srv://\n" % WRONG_SCHEME)


@pytest.mark.parametrize("call, request_body, error", [
    ("create", {"name": "x", "cluster_id": "nope", "properties": MONGO}, "cluster not found"),
    ("create", {"name": "x", "cluster_id": EMPTY, "properties": {"topics": "orders"}}, "connector.class is missing in properties"),
    ("create", {"name": "mongo-sink", "cluster_id": PROD, "properties": MONGO}, "connector with name mongo-sink already exists"),
    ("create", {"cluster_id": EMPTY, "properties": MONGO}, "name is required"),
    ("create", {"name": "x", "properties": MONGO}, "cluster_id is required"),
    ("create", ["x"], "request body must be a JSON object"),
    ("create", {"name": "x", "cluster_id": EMPTY, "properties": dict(MONGO, ssl={"enabled": "true"})},
     "the value of property ssl must be a string, not an object"),
    ("create", {"name": "x", "cluster_id": EMPTY, "properties": dict(MONGO, topics=["orders"])},
     "the value of property topics must be a string, not an array"),
    ("create", {"name": "x", "cluster_id": EMPTY, "properties": dict(MONGO, database=None)},
     "the value of property database must be a string, not null"),
    ("update", {"properties": {"connection.password": "Pg-New-Secret"}},
     'send the properties to change as the body itself, not wrapped in "properties"'),
    ("update", {"connection.password": "Pg-New-Secret", "ssl": {"enabled": "true"}},
     "the value of property ssl must be a string, not an object"),
    ("update", ["connection.password"], "request body must be a JSON object of properties"),
])
def test_a_refused_create_or_update_stores_nothing(catalog, call, request_body, error):
    before = [catalog.connector_list(cluster_id) for cluster_id in (PROD, EMPTY)]
    answer = catalog.create(request_body, EMAIL) if call == "create" else catalog.update(PG, request_body)
    assert answer == (404 if error == "cluster not found" else 400, {"error": error})
    assert [catalog.connector_list(cluster_id) for cluster_id in (PROD, EMPTY)] == before


def test_an_update_changes_the_given_properties_keeps_the_others_and_restarts(catalog, clock):
    status, updated = catalog.update(PG, {"connection.password": "Pg-New-Secret", "tasks.max": "2"})
    assert status == 200 and updated["state"] == "pending"
    properties = updated["properties"]
    assert properties["connection.password"] == "Pg-New-Secret" and properties["tasks.max"] == "2"
    assert properties["connection.user"] == "shop" and properties["mode"] == "incrementing"
    clock.now += 2
    assert read(catalog, PG)["state"] == "running" and len(read(catalog, PG)["tasks"]) == 2
    # to a configuration Kafka Connect refuses: failed, with the reason
    catalog.update(PG, {"connection.url": "postgresql://db.example.net:5432/shop"})
    clock.now += 2
    failed = read(catalog, PG)
    assert failed["state"] == "failed" and "must start with 'jdbc:'" in failed["state_error_message"]


# (connector, an action or properties to change, seconds later, its state then), one after the other.
STEPS = [
    (S3, {"flush.size": "500"}, 10, "paused"),  # a paused connector stays paused when reconfigured
    (MONGO_SINK, "pause", 0, "paused"),
    (MONGO_SINK, "restart", 10, "paused"),  # a paused connector is not restarted, only started
    (MONGO_SINK, "start", 0, "pending"),
    (MONGO_SINK, None, 2, "running"),
    (PG, "start", 10, "failed"),  # start leaves a failed connector failed, restart brings it back
    (PG, "restart", 0, "pending"),
    (PG, None, 2, "running"),
    (PG, "restart", 0, "pending"),
    (PG, "pause", 5, "paused"),  # pausing a pending connector stops it settling
]


def test_pause_start_restart_and_reconfiguring_a_paused_connector(catalog, clock):
    for connector_id, action, seconds, state in STEPS:
        if isinstance(action, dict):
            assert catalog.update(connector_id, action)[0] == 200
        elif action:
            assert catalog.act(connector_id, action) == (200, "OK")
        clock.now += seconds
        connector = read(catalog, connector_id)
        assert (connector["state"], bool(connector["state_error_message"])) == (state, state == "failed"), (connector_id, action)
    assert read(catalog, S3)["properties"]["flush.size"] == "500"
    assert read(catalog, MONGO_SINK)["tasks"] == [{"id": 0, "state": "RUNNING", "trace": ""}]
    assert read(catalog, PG)["tasks"] == [{"id": 0, "state": "PAUSED", "trace": ""}]


def test_delete_then_unknown_ids_are_not_found_and_restore_brings_back_the_sample_data(catalog):
    before = catalog.connector_list(PROD)
    assert catalog.delete(PG) == (200, "OK")
    assert catalog.connector(PG) is None and names(catalog, PROD) == ["mongo-sink", "s3-archive", "es-sink"]
    for answer in (catalog.delete(PG), catalog.update(PG, {}), catalog.act(PG, "restart")):
        assert answer == (404, {"error": "connector not found"})
    catalog.create({"name": "orders-sink", "cluster_id": EMPTY, "properties": MONGO}, EMAIL)
    catalog.restore()
    assert catalog.connector_list(PROD) == before and names(catalog, EMPTY) == []


# --- start-up line and the API ------------------------------------------------------------------------

def test_clusters_listing(emulator):
    answer = emulator.api("/v2/kafka/clusters")
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/json"
    clusters = _json(answer)
    assert [(cluster["name"], cluster["cluster_id"]) for cluster in clusters] == [
        ("prod-events", PROD), ("staging", STAGING), ("empty", EMPTY)]
    for cluster in clusters:
        assert dict((key, type(value)) for key, value in cluster.items()) == CLUSTER_FIELDS
        assert cluster["password"]
    assert [cluster["max_retention_time"] for cluster in clusters] == [2592000000, 604800000, 604800000]
    assert clusters[0]["region"] == "eu-west-1" and clusters[1]["region"] == "us-east-1"


def test_every_connector_in_a_fixed_order_with_the_documented_shape(emulator):
    listings = dict((cluster["cluster_id"], emulator.api_json("/v2/kafka/connectors/" + cluster["cluster_id"]))
                    for cluster in emulator.api_json("/v2/kafka/clusters"))
    assert dict((cluster, [connector["name"] for connector in connectors]) for cluster, connectors in listings.items()) == {
        PROD: PROD_NAMES, STAGING: ["http-source", "legacy-sink"], EMPTY: []}
    connectors = listings[PROD] + listings[STAGING]
    for connector in connectors:
        assert emulator.api_json("/v2/kafka/connector/" + connector["connector_id"]) == connector
        assert set(CONNECTOR_FIELDS) - OPTIONAL_FIELDS <= set(connector) and connector["customer_id"] == EMAIL
        assert connector in listings[connector["cluster_id"]]
        # null stands for details Upstash did not store for old records; Go decodes it into any type.
        assert all(isinstance(value, CONNECTOR_FIELDS[key]) for key, value in connector.items()
                   if key in CONNECTOR_FIELDS and value is not None), connector["name"]
        # Kafka Connect configuration is string to string.
        assert all(isinstance(value, str) for value in (connector["properties"] or {}).values()), connector["name"]
    ids = [connector["connector_id"] for connector in connectors]
    # Ids are unique and safe as a single path segment.
    assert len(set(ids)) == 6 and all(re.match(r"\A[A-Za-z0-9_-]+\Z", connector_id) for connector_id in ids)


# Secrets of the sample data where the redaction tests look for them, and ordinary values beside them.
SAMPLE_PROPERTIES = {
    ("mongo-sink", "connection.uri"): "mongodb+srv://appuser:Mongo-Pa55w0rd@cluster0.example.net/orders?retryWrites=true",
    ("mongo-sink", "database"): "orders", ("pg-source", "connection.url"): "jdbc:postgresql://db.example.net:5432/shop",
    ("pg-source", "connection.user"): "shop", ("pg-source", "connection.password"): "Pg-Secret-123",
    ("s3-archive", "aws.access.key.id"): "AKIAEXAMPLE", ("s3-archive", "aws.secret.access.key"): "s3-Secret-Key",
    ("es-sink", "ssl.truststore.password"): "trust-me", ("es-sink", "ssl.enabled"): "true",
    ("es-sink", "sasl.jaas.config"): 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";'}


def test_sample_data(emulator):
    connectors = dict((connector["name"], connector) for cluster_id in (PROD, STAGING)
                      for connector in emulator.api_json("/v2/kafka/connectors/" + cluster_id))
    assert dict((name, (connector["state"], [task["state"] for task in connector["tasks"] or []]))
                for name, connector in connectors.items()) == {
        "mongo-sink": ("running", ["RUNNING"]), "pg-source": ("failed", ["FAILED"]), "s3-archive": ("paused", ["PAUSED"]),
        "es-sink": ("running", ["RUNNING", "FAILED"]), "http-source": ("pending", []), "legacy-sink": ("running", [])}
    assert all(connectors[name]["properties"][key] == value for (name, key), value in SAMPLE_PROPERTIES.items())
    pg, es = connectors["pg-source"], connectors["es-sink"]
    assert pg["state_error_message"] and set(pg["tasks"][0]) == {"id", "state", "trace"} and pg["tasks"][0]["trace"].count("\n") >= 3
    assert es["user_password"] == "Es-User-Pass" and es["schema_version"] == 2
    assert re.match(r"\A[A-Za-z0-9+/]{20,}={0,2}\Z", es["properties_encrypted"])
    assert OPTIONAL_FIELDS.isdisjoint(connectors["mongo-sink"]) and connectors["http-source"]["TTL"] > 0
    legacy = connectors["legacy-sink"]
    assert legacy["properties"] is None and legacy["tasks"] is None and legacy["topics"] is None


def test_head_and_keep_alive(emulator):
    head = emulator.api("/v2/kafka/connectors/" + PROD, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == emulator.api("/v2/kafka/connectors/" + PROD).headers["Content-Length"]
    connection = emulator.connection()
    try:
        for path in ("/v2/kafka/clusters", "/v2/kafka/connectors/" + PROD, "/v2/kafka/connector/nope"):
            connection.request("GET", path, headers={"Authorization": basic()})
            response = connection.getresponse()
            assert response.version == 11 and len(response.read()) == int(response.headers["Content-Length"])
    finally:
        connection.close()


@pytest.mark.parametrize("authorization", [
    None, basic(key="wrong-key"), basic(email="other@example.com"), basic(key=API_KEY + "x"), "Bearer " + API_KEY,
    "Basic !!!not-base64!!!", "Basic",
], ids=["missing", "wrong-key", "wrong-email", "longer-key", "bearer", "garbage", "empty"])
def test_bad_credentials_are_refused(emulator, authorization):
    for path in ("/v2/kafka/clusters", "/v2/kafka/connectors/" + PROD, "/v2/kafka/connector/x", "/v2/other"):
        answer = emulator.request("GET", path, authorization=authorization)
        assert (answer.status, answer.headers["WWW-Authenticate"]) == (401, 'Basic realm="upstash"')
        assert answer.headers["Content-Type"] == "application/json" and _json(answer) == {"error": "Unauthorized"}


@pytest.mark.parametrize("path, error", [
    ("/v2/kafka/connectors/no-such-cluster", "cluster not found"),
    ("/v2/kafka/connectors/", "cluster not found"),
    ("/v2/kafka/connectors/" + PROD + "/extra", "cluster not found"),
    ("/v2/kafka/connector/no-such-connector", "connector not found"),
    (PG_SOURCE + "/resume", "not found"),
    ("/v2", "not found"),
    ("/", "not found"),
    ("/_emulator/nothing", "not found"),
])
def test_not_found(emulator, path, error):
    answer = emulator.api(path)
    assert (answer.status, answer.headers["Content-Type"], _json(answer)) == (404, "application/json", {"error": error})


@pytest.mark.parametrize("method, path, allow", [
    ("POST", "/v2/kafka/clusters", "GET, HEAD"),
    ("PATCH", PG_SOURCE, "GET, HEAD, DELETE"),
    ("PUT", "/v2/kafka/connectors/" + PROD, "GET, HEAD"),
    ("GET", "/v2/kafka/connector", "POST"),
    ("GET", "/v2/kafka/update-connector/cHJvZC1ldmVudHMvcGctc291cmNl", "POST"),
    ("DELETE", PG_SOURCE + "/restart", "POST"),
    ("GET", "/_emulator/reset", "POST"),
    ("GET", "/_emulator/fault", "POST"),
    ("POST", "/_emulator/stats", "GET"),
])
def test_method_not_allowed(emulator, method, path, allow):
    answer = emulator.api(path, method=method, body=b"{}")
    assert (answer.status, answer.headers["Allow"]) == (405, allow) and "error" in _json(answer)


def test_unknown_method_gets_a_json_error(emulator):
    answer = emulator.api("/v2/kafka/clusters", method="BREW")
    assert answer.status == 501 and answer.headers["Content-Type"] == "application/json" and "error" in _json(answer)


def test_the_mutation_calls(emulator):
    answer = emulator.api("/v2/kafka/connector", "POST", {"name": "orders-sink", "cluster_id": EMPTY, "properties": MONGO})
    created = _json(answer)
    assert answer.status == 200 and created["state"] == "pending" and created["properties"] == MONGO
    connector = "/v2/kafka/connector/" + created["connector_id"]
    time.sleep(0.3)
    assert emulator.api_json(connector)["state"] == "running"
    answer = emulator.api("/v2/kafka/update-connector/" + created["connector_id"], "POST", {"tasks.max": "1"})
    assert answer.status == 200 and _json(answer)["properties"] == dict(MONGO, **{"tasks.max": "1"})
    for action in ("pause", "start", "restart"):
        answer = emulator.api(connector + "/" + action, "POST")
        assert (answer.status, _json(answer)) == (200, "OK")
    answer = emulator.api(connector, "DELETE")
    assert (answer.status, _json(answer)) == (200, "OK") and emulator.api(connector).status == 404
    answer = emulator.api("/v2/kafka/connector", "POST", body="name=x")
    assert (answer.status, _json(answer)) == (400, {"error": "request body is not valid JSON"})
    assert [(entry["method"], entry["body_keys"]) for entry in emulator.stats()["requests_log"]] == [
        ("POST", ["cluster_id", "name", "properties"]), ("GET", None), ("POST", ["tasks.max"]), ("POST", None),
        ("POST", None), ("POST", None), ("DELETE", None), ("GET", None), ("POST", None)]


# --- control API ----------------------------------------------------------------------------------------

def test_stats_count_and_log_api_requests_only_and_never_the_credentials(emulator):
    emulator.api("/v2/kafka/clusters", headers={"User-Agent": "unit-agent/1.0"})
    emulator.request("GET", "/v2/kafka/clusters")
    emulator.api("/v2/kafka/connectors/" + PROD + "?page=1", authorization=basic(key="another-secret-5e1"))
    emulator.api("/v2/kafka/connector/nope")
    emulator.api("/not-api")
    emulator.stats()
    stats = emulator.stats()
    assert stats["requests"] == 4 and stats["fault"] is None
    assert stats["by_path"] == {"/v2/kafka/clusters": 2, "/v2/kafka/connectors/" + PROD: 1, "/v2/kafka/connector/nope": 1}
    log = stats["requests_log"]
    assert [(entry["path"], entry["authorization"]) for entry in log] == [
        ("/v2/kafka/clusters", True), ("/v2/kafka/clusters", False), ("/v2/kafka/connectors/" + PROD, True),
        ("/v2/kafka/connector/nope", True)]
    assert [entry["user_agent"] for entry in log][:2] == ["unit-agent/1.0", ""]
    text = emulator.request("GET", "/_emulator/stats").body.decode()
    for secret in (API_KEY, basic().split()[1], "another-secret-5e1", basic(key="another-secret-5e1").split()[1]):
        assert secret not in text


def test_reset_clears_counters_log_and_an_endless_fault_and_brings_back_the_sample_data(emulator):
    assert emulator.api(PG_SOURCE, method="DELETE").status == 200
    emulator.fault("status", status=502, count=-1)
    for _attempt in range(3):
        assert emulator.api("/v2/kafka/clusters").status == 502
    assert emulator.stats()["fault"]["count"] == -1
    # without a body
    answer = emulator.request("POST", "/_emulator/reset")
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/json"
    assert emulator.stats() == {"requests": 0, "by_path": {}, "requests_log": [], "fault": None}
    assert emulator.api_json(PG_SOURCE)["name"] == "pg-source"


@pytest.mark.parametrize("spec", [
    {"mode": "nope"}, {}, {"mode": "status", "count": 0}, {"mode": "status", "count": -2}, {"mode": "status", "count": "2"},
    {"mode": "status", "count": True}, {"mode": "status", "status": 99}, {"mode": "status", "status": "500"},
    {"mode": "echo_auth", "status": 200}, {"mode": "rate_limit", "retry_after": -1}, {"mode": "slow", "delay": "5"},
    {"mode": "redirect"}, {"mode": "redirect", "location": "/relative"},
    {"mode": "redirect", "location": "http://example.net/\r\nX-Injected: 1"}, {"mode": "status", "method": "FETCH"},
    {"mode": "rate_limit", "processed": True}, {"mode": "status", "processed": "yes"}, ["status"], None, b"mode=status",
])
def test_invalid_faults_are_refused(emulator, spec):
    answer = emulator.request("POST", "/_emulator/fault", body=spec if isinstance(spec, bytes) else json.dumps(spec))
    assert answer.status == 400 and "error" in _json(answer)
    assert emulator.stats()["fault"] is None


# --- faults ---------------------------------------------------------------------------------------------

WRONG = basic(key="wrong-key")
JSON = {"Content-Type": "application/json"}


# Each is served in place of the API's answer for count requests, before authentication: a fault stands for a
# proxy or outage in front of the API, so the requests carry a wrong key and the one after the fault gets 401.
@pytest.mark.parametrize("spec, status, headers, body", [
    (dict(mode="status"), 500, JSON, b'{"error": "internal error"}'),
    (dict(mode="status", status=503, body="Service Unavailable", count=2), 503, {"Content-Type": "text/plain"},
     b"Service Unavailable"),
    (dict(mode="status", status=200, body=[{"name": "{{ 6 * 7 }}"}]), 200, JSON, b'[{"name": "{{ 6 * 7 }}"}]'),
    (dict(mode="rate_limit"), 429, dict(JSON, **{"Retry-After": "1"}), b'{"error": "rate limit exceeded"}'),
    (dict(mode="rate_limit", retry_after=7), 429, {"Retry-After": "7"}, b'{"error": "rate limit exceeded"}'),
    (dict(mode="html"), 200, {"Content-Type": "text/html; charset=utf-8"},
     b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title>"),
    (dict(mode="strings"), 200, JSON, b'["mongo-sink", "pg-source"]'),
    (dict(mode="invalid_utf8"), 200, JSON, b'[{"name": "\xff\xfe"}]'),
    # the listing asked for, in an object
    (dict(mode="object"), 200, JSON, b'{"connectors": [{"connector_id": "c3RhZ2luZy9odHRwLXNvdXJjZQ", '),
    (dict(mode="redirect", location="https://elsewhere.example.net/v2/kafka/clusters"), 302,
     {"Location": "https://elsewhere.example.net/v2/kafka/clusters"}, b'{"error": "moved"}'),
    (dict(mode="echo_auth"), 502, JSON, ('{"error": "upstream refused the request; it carried Authorization: %s (%s:wrong-key)"}'
                                         % (WRONG, EMAIL)).encode()),
], ids=["status", "text-twice", "json", "rate_limit", "retry_after", "html", "strings", "invalid_utf8", "object", "redirect", "echo_auth"])
def test_a_fault_answers_in_place_of_the_api(emulator, spec, status, headers, body):
    emulator.fault(**spec)
    for _attempt in range(spec.get("count", 1)):
        answer = emulator.api("/v2/kafka/connectors/" + STAGING, authorization=WRONG)
        assert answer.status == status and answer.body.startswith(body), answer
        assert all(answer.headers[name].startswith(value) for name, value in headers.items()), answer.headers
    assert emulator.api("/v2/kafka/connectors/" + STAGING, authorization=WRONG).status == 401
    assert emulator.stats()["requests"] == spec.get("count", 1) + 1


def test_a_new_fault_replaces_the_previous_one(emulator):
    emulator.fault("status", count=5)
    emulator.fault("strings")
    assert _json(emulator.api("/v2/kafka/clusters")) == ["mongo-sink", "pg-source"]
    assert emulator.api("/v2/kafka/clusters").status == 200


def test_slow_fault_answers_normally_and_does_not_block_others(emulator):
    emulator.fault("slow", delay=1)
    result = {}

    def slow_call():
        started = time.monotonic()
        result["answer"] = emulator.api("/v2/kafka/clusters")
        result["elapsed"] = time.monotonic() - started

    caller = threading.Thread(target=slow_call)
    caller.start()
    while emulator.stats()["requests"] == 0:
        time.sleep(0.02)
    # The server is threaded: the control API answered while the slow request waits.
    assert "answer" not in result
    caller.join(30)
    assert result["answer"].status == 200 and len(_json(result["answer"])) == 3 and result["elapsed"] >= 0.9


def test_truncated_fault(emulator):
    # Half of a listing: of the first cluster where the path names none.
    emulator.fault("truncated")
    connection = emulator.connection()
    try:
        connection.request("GET", PG_SOURCE, headers={"Authorization": basic()})
        response = connection.getresponse()
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead) as raised:
            response.read()
        assert 0 < len(raised.value.partial) < int(response.headers["Content-Length"])
    finally:
        connection.close()
    assert emulator.api(PG_SOURCE).status == 200


def test_drop_fault_skips_the_control_api_and_counts_requests(emulator):
    # Hanging up leaves nothing on stdout or stderr: the module fixture checks that when it stops the emulator.
    emulator.fault("drop", count=2)
    assert emulator.stats()["requests"] == 0 and emulator.request("GET", "/elsewhere").status == 404
    for _attempt in range(2):
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            emulator.api("/v2/kafka/connectors/" + PROD)
    assert emulator.api("/v2/kafka/connectors/" + PROD).status == 200
    assert emulator.stats()["by_path"] == {"/v2/kafka/connectors/" + PROD: 3}


def test_a_fault_for_one_method_strikes_before_the_api_acts_or_after_it(emulator):
    emulator.fault("status", status=503, method="POST")
    assert emulator.api(PG_SOURCE).status == 200
    assert emulator.api(PG_SOURCE + "/restart", "POST").status == 503
    assert emulator.api_json(PG_SOURCE)["state"] == "failed" and emulator.stats()["fault"] is None
    # processed: the API acts, the answer is lost on the way back
    emulator.fault("status", method="POST", processed=True)
    answer = emulator.api(PG_SOURCE + "/restart", "POST")
    assert (answer.status, _json(answer)) == (500, {"error": "internal error"})
    assert emulator.api_json(PG_SOURCE)["state"] in ("pending", "running")
    emulator.fault("drop", method="DELETE", processed=True)
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        emulator.api(PG_SOURCE, "DELETE")
    assert emulator.api(PG_SOURCE).status == 404


# --- generated clusters ---------------------------------------------------------------------------------

def test_big_and_extra_clusters(big):
    clusters = big.api_json("/v2/kafka/clusters")
    assert [(cluster["name"], cluster["cluster_id"]) for cluster in clusters[3:]] == [
        ("big", "big-cluster"), ("extra-01", "extra-cluster-01"), ("extra-02", "extra-cluster-02"),
        ("extra-03", "extra-cluster-03")]
    connectors = _json(big.api("/v2/kafka/connectors/big-cluster", timeout=60))
    assert [connectors[index]["connector_id"] for index in (0, -1)] == ["big-connector-000001", "big-connector-020000"]
    failed = [connector for connector in connectors if connector["state"] == "failed"]
    assert len(failed) == 200 and failed[0]["name"] == "big-connector-000100"
    assert all(connector["state"] == "running" for connector in connectors if connector not in failed)
    assert any(re.search(r"://[^/:]+:[^@/]+@", value) for value in connectors[0]["properties"].values())
    assert big.api_json("/v2/kafka/connector/big-connector-012345")["name"] == "big-connector-012345"
    for cluster in clusters[4:]:
        extra = big.api_json("/v2/kafka/connectors/" + cluster["cluster_id"])
        assert [(connector["name"], connector["state"], connector["cluster_id"]) for connector in extra] == [
            (name, state, cluster["cluster_id"]) for name, state in (
                ("orders-sink", "running"), ("clicks-source", "failed"), ("orders-archive", "paused"))]
        connectors += extra
    assert len(set(connector["connector_id"] for connector in connectors)) == 20000 + 9
    assert all(isinstance(value, str) for connector in connectors for value in connector["properties"].values())


# --- process life cycle and options ---------------------------------------------------------------------

@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly_even_with_a_keep_alive_connection_open(sig):
    emulator = Emulator()
    connection = emulator.connection()
    connection.request("GET", "/v2/kafka/clusters", headers={"Authorization": basic()})
    assert connection.getresponse().read()
    try:
        assert emulator.stop(getattr(signal, sig)) == (0, b"", b"")
    finally:
        connection.close()


def test_child_emulator_starts_on_a_free_port_and_stops_or_says_it_did_not_start():
    child = upstash_emulator.ChildEmulator("--email", EMAIL, "--api-key", API_KEY)
    try:
        assert URL_LINE.match("UPSTASH_API_URL=%s\n" % child.url) and child.stats()["requests"] == 0
    finally:
        child.stop()
    assert child.process.returncode == 0
    with pytest.raises(RuntimeError, match="did not start"):
        upstash_emulator.ChildEmulator("--tls-cert", "missing.pem")


DEMO, FROM_ENV = ("demo@example.com", "emulator-demo-key"), ("env@example.com", "env-key-4e1")


@pytest.mark.parametrize("options, environment, accepted, refused", [
    (False, {}, DEMO, (EMAIL, API_KEY)),
    (False, dict(UPSTASH_EMAIL=FROM_ENV[0], UPSTASH_API_KEY=FROM_ENV[1]), FROM_ENV, DEMO),
    # options win over the environment the collection reads
    (True, dict(UPSTASH_EMAIL=FROM_ENV[0], UPSTASH_API_KEY=FROM_ENV[1]), (EMAIL, API_KEY), FROM_ENV),
], ids=["default", "environment", "options"])
def test_credentials(options, environment, accepted, refused):
    emulator = Emulator(credentials=options, environment=environment)
    try:
        answer = emulator.request("GET", "/v2/kafka/connectors/" + PROD, authorization=basic(*accepted))
        assert answer.status == 200 and {connector["customer_id"] for connector in _json(answer)} == {accepted[0]}
        assert emulator.request("GET", "/v2/kafka/clusters", authorization=basic(*refused)).status == 401
    finally:
        emulator.stop()


def test_verbose_logs_requests_but_no_credentials():
    emulator = Emulator("--verbose")
    emulator.api("/v2/kafka/connectors/" + PROD + "?api_key=" + API_KEY)
    emulator.request("GET", "/v2/kafka/clusters", authorization=basic(key="wrong-9a7"))
    status, _out, err = emulator.stop()
    text = err.decode()
    assert status == 0 and "/v2/kafka/connectors/" + PROD in text and " 401" in text
    for secret in (API_KEY, basic().split()[1], "wrong-9a7", basic(key="wrong-9a7").split()[1]):
        assert secret not in text


@pytest.mark.parametrize("args, error", [
    (["--tls-cert", "cert.pem"], "--tls-cert and --tls-key go together"),
    (["--tls-key", "key.pem"], "--tls-cert and --tls-key go together"),
    (["--tls-cert", "missing-cert.pem", "--tls-key", "missing-key.pem"], "cannot load the TLS certificate or key"),
    (["--big-cluster-size", "-1"], "argument --big-cluster-size: must be 0 or more"),
    (["--extra-clusters", "many"], "argument --extra-clusters: 'many' is not an integer"),
    (["--port", "70000"], "argument --port: must be at most 65535"),
    (["--pending-seconds", "7200"], "argument --pending-seconds: must be from 0 to 3600 seconds"),
    (["--pending-seconds", "soon"], "argument --pending-seconds: 'soon' is not a number"),
])
def test_bad_options_exit_with_usage_error(args, error, capsys):
    with pytest.raises(SystemExit) as exited:
        upstash_emulator.parse_args(args)
    out, err = capsys.readouterr()
    assert exited.value.code == 2 and out == "" and err.startswith("usage:") and "error: " + error in err


def test_help_names_the_sample_clusters_truly_and_says_what_is_assumed(capsys):
    with pytest.raises(SystemExit) as exited:
        upstash_emulator.parse_args(["--help"])
    text, data = capsys.readouterr().out, upstash_emulator.sample_data(EMAIL, 1, 1)
    assert exited.value.code == 0
    (big, big_connectors), extra = data[3], data[4][0]
    assert all("cluster %s, id %s" % (cluster["name"], cluster["cluster_id"]) in text for cluster, _connectors in data[:4])
    assert "add cluster %s (id %s) with N connectors" % (big["name"], big["cluster_id"]) in text
    assert big_connectors[0]["name"] == big_connectors[0]["connector_id"] == "big-connector-000001" and "big-connector-000001" in text
    assert "clusters %s..., ids %s..." % (extra["name"], extra["cluster_id"]) in text
    assumed = text.split("what the emulator assumes (neither Upstash's docs nor its Terraform provider settle it):")[1]
    for subject in ('{"error": "<reason>"}', "404 for an unknown cluster id", "upper case (RUNNING, FAILED, PAUSED)",
                    "pending for --pending-seconds", "restarting a paused connector leaves it paused",
                    'a body wrapped in {"properties": ...}', "objects, arrays or null"):
        assert subject in assumed


def test_busy_port_is_a_clean_error(running):
    result = subprocess.run([sys.executable, EMULATOR, "--port", str(running.port)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=60, check=False)
    assert result.returncode == 1 and result.stdout == b""
    assert b"cannot listen" in result.stderr and b"Traceback" not in result.stderr


def test_tls(tmp_path):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=127.0.0.1"], check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    emulator = Emulator("--tls-cert", cert, "--tls-key", key)
    try:
        assert emulator.url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context(cafile=cert)
        context.check_hostname = False
        connection = http.client.HTTPSConnection(emulator.host, emulator.port, timeout=30, context=context)
        connection.request("GET", "/v2/kafka/connectors/" + PROD, headers={"Authorization": basic()})
        response = connection.getresponse()
        assert response.status == 200 and [connector["name"] for connector in json.loads(response.read())] == PROD_NAMES
        connection.close()
    finally:
        status, _out, err = emulator.stop()
    assert status == 0 and err == b""
