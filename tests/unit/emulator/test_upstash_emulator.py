# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The emulator as a real process: every endpoint, the sample data, the control API and every fault."""

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
from urllib.parse import urlsplit

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
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
# Every documented field with the type Upstash's Terraform provider decodes it into (Go int64 and int: int).
CLUSTER_FIELDS = {
    "cluster_id": str, "name": str, "region": str, "type": str, "multizone": bool, "tcp_endpoint": str,
    "rest_endpoint": str, "state": str, "username": str, "password": str, "max_retention_size": int,
    "max_retention_time": int, "max_messages_per_second": int, "max_message_size": int, "max_partitions": int,
    "creation_time": int,
}
CONNECTOR_FIELDS = {
    "connector_id": str, "name": str, "customer_id": str, "cluster_id": str, "creation_time": int,
    "deletion_time": int, "state": str, "state_error_message": str, "connector_state": str, "tasks": list,
    "topics": list, "connector_class": str, "properties": dict, "encoded_username": str, "TTL": int,
    "properties_encrypted": str, "user_password": str,
}
# Fields that only some connectors have.
OPTIONAL_FIELDS = {"properties_encrypted", "user_password"}
URL_LINE = re.compile(r"\AUPSTASH_API_URL=(https?)://127\.0\.0\.1:([0-9]+)\n\Z")


def basic(email=EMAIL, key=API_KEY):
    return "Basic " + base64.b64encode(("%s:%s" % (email, key)).encode()).decode()


Answer = collections.namedtuple("Answer", "status headers body")


def _json(answer):
    return json.loads(answer.body.decode("utf-8"))


class Emulator:
    """A running emulator process, spoken to with http.client so nothing is hidden by a helper library."""

    def __init__(self, process, line):
        self.process = process
        self.line = line
        self.url = line.strip().split("=", 1)[1]
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname, parts.port

    def connection(self, timeout=30):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, authorization=None, body=None, headers=None, timeout=30):
        sent = dict(headers or {})
        if authorization is not None:
            sent["Authorization"] = authorization
        connection = self.connection(timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()

    def api(self, path, method="GET", **kwargs):
        kwargs.setdefault("authorization", basic())
        return self.request(method, path, **kwargs)

    def api_json(self, path):
        answer = self.api(path)
        assert answer.status == 200, answer
        return _json(answer)

    def control(self, name, payload=None, method=None):
        body = None if payload is None else json.dumps(payload)
        answer = self.request(method or ("GET" if payload is None else "POST"), "/_emulator/" + name, body=body,
                              headers={"Content-Type": "application/json"} if body is not None else None)
        return answer

    def fault(self, **spec):
        answer = self.control("fault", spec)
        assert answer.status == 200, answer
        return _json(answer)

    def stats(self):
        return _json(self.control("stats"))

    def reset(self):
        assert self.control("reset", {}).status == 200

    def stop(self, sig=signal.SIGTERM):
        """Signal the process; return (exit status, rest of stdout, stderr)."""
        self.process.send_signal(sig)
        try:
            out, err = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        return self.process.returncode, out, err


def _first_line(process, timeout=60):
    # readline() alone could hang the whole test run if the emulator stalled before printing.
    box = []
    reader = threading.Thread(target=lambda: box.append(process.stdout.readline()))
    reader.daemon = True
    reader.start()
    reader.join(timeout)
    return box[0] if box else b""


def start_emulator(*args, credentials=True, environment=None):
    command = [sys.executable, EMULATOR, "--port", "0"]
    if credentials:
        command += ["--email", EMAIL, "--api-key", API_KEY]
    # Only the given UPSTASH_ variables: the emulator takes its default credentials from them.
    env = dict((name, value) for name, value in os.environ.items() if not name.startswith("UPSTASH_"))
    env.update(environment or {})
    process = subprocess.Popen(command + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    line = _first_line(process).decode("utf-8")
    if not line.startswith("UPSTASH_API_URL="):
        process.kill()
        err = process.communicate()[1]
        raise RuntimeError("emulator did not start: %r %r" % (line, err))
    return Emulator(process, line)


@pytest.fixture(scope="module")
def running():
    emulator = start_emulator()
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
    emulator = start_emulator("--big-cluster-size", "20000", "--extra-clusters", "3")
    yield emulator
    assert emulator.stop()[0] == 0


def by_name(connectors):
    return {connector["name"]: connector for connector in connectors}


# --- start-up line and the API ------------------------------------------------------------------------

def test_prints_exactly_the_url_line(running):
    assert URL_LINE.match(running.line), running.line
    assert running.port > 0


def test_clusters_listing(emulator):
    answer = emulator.api("/v2/kafka/clusters")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert int(answer.headers["Content-Length"]) == len(answer.body)
    clusters = _json(answer)
    assert [cluster["name"] for cluster in clusters] == ["prod-events", "staging", "empty"]
    assert [cluster["cluster_id"] for cluster in clusters] == [PROD, STAGING, EMPTY]
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
    assert emulator.api_json("/v2/kafka/connectors/" + PROD) == listings[PROD]
    connectors = listings[PROD] + listings[STAGING]
    for connector in connectors:
        assert emulator.api_json("/v2/kafka/connector/" + connector["connector_id"]) == connector
        assert set(CONNECTOR_FIELDS) - OPTIONAL_FIELDS <= set(connector) and connector["customer_id"] == EMAIL
        # null stands for details Upstash did not store for old records; Go decodes it into any type.
        assert all(isinstance(value, CONNECTOR_FIELDS[key]) for key, value in connector.items()
                   if key in CONNECTOR_FIELDS and value is not None), connector["name"]
        # Kafka Connect configuration is string to string.
        assert all(isinstance(value, str) for value in (connector["properties"] or {}).values()), connector["name"]
    assert {connector["state"] for connector in connectors} == {"running", "failed", "paused", "pending"}
    ids = [connector["connector_id"] for connector in connectors]
    assert len(ids) == len(set(ids)) == 6
    # Ids are safe as a single path segment.
    assert all(re.match(r"\A[A-Za-z0-9_-]+\Z", connector_id) for connector_id in ids)


def test_sample_data(emulator):
    connectors = by_name(emulator.api_json("/v2/kafka/connectors/" + PROD) + emulator.api_json("/v2/kafka/connectors/" + STAGING))
    mongo = connectors["mongo-sink"]
    assert mongo["state"] == "running" and mongo["topics"] == ["orders"] and mongo["cluster_id"] == PROD
    assert mongo["properties"]["connection.uri"] == (
        "mongodb+srv://appuser:Mongo-Pa55w0rd@cluster0.example.net/orders?retryWrites=true")
    assert mongo["properties"]["database"] == "orders" and mongo["properties"]["tasks.max"] == "1"
    assert [task["state"] for task in mongo["tasks"]] == ["RUNNING"]

    pg = connectors["pg-source"]
    assert pg["state"] == "failed" and pg["state_error_message"]
    assert pg["properties"]["connection.url"] == "jdbc:postgresql://db.example.net:5432/shop"
    assert pg["properties"]["connection.user"] == "shop"
    assert pg["properties"]["connection.password"] == "Pg-Secret-123"
    assert len(pg["tasks"]) == 1 and pg["tasks"][0]["state"] == "FAILED"
    assert pg["tasks"][0]["trace"].count("\n") >= 3
    assert set(pg["tasks"][0]) == {"id", "state", "trace"}

    s3 = connectors["s3-archive"]
    assert s3["state"] == "paused" and [task["state"] for task in s3["tasks"]] == ["PAUSED"]
    assert s3["properties"]["aws.access.key.id"] == "AKIAEXAMPLE"
    assert s3["properties"]["aws.secret.access.key"] == "s3-Secret-Key"
    assert s3["properties"]["s3.bucket.name"] == "archive"

    es = connectors["es-sink"]
    assert es["state"] == "running"
    assert sorted(task["state"] for task in es["tasks"]) == ["FAILED", "RUNNING"]
    assert es["user_password"] == "Es-User-Pass" and es["schema_version"] == 2
    assert re.match(r"\A[A-Za-z0-9+/]{20,}={0,2}\Z", es["properties_encrypted"])
    assert es["properties"]["ssl.truststore.password"] == "trust-me" and es["properties"]["ssl.enabled"] == "true"
    assert es["properties"]["sasl.jaas.config"] == (
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";')
    assert OPTIONAL_FIELDS.isdisjoint(connectors["mongo-sink"])

    assert connectors["http-source"]["state"] == "pending" and connectors["http-source"]["TTL"] > 0
    legacy = connectors["legacy-sink"]
    assert legacy["properties"] is None and legacy["tasks"] is None and legacy["topics"] is None


def test_head_has_the_get_headers_and_no_body(emulator):
    get = emulator.api("/v2/kafka/connectors/" + PROD)
    head = emulator.api("/v2/kafka/connectors/" + PROD, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


def test_keep_alive_serves_several_requests_on_one_connection(emulator):
    connection = emulator.connection()
    try:
        for path in ("/v2/kafka/clusters", "/v2/kafka/connectors/" + PROD, "/v2/kafka/connector/nope"):
            connection.request("GET", path, headers={"Authorization": basic()})
            response = connection.getresponse()
            assert response.version == 11
            body = response.read()
            assert len(body) == int(response.headers["Content-Length"])
            json.loads(body)
    finally:
        connection.close()


@pytest.mark.parametrize("authorization", [
    None,
    basic(key="wrong-key"),
    basic(email="other@example.com"),
    basic(key=API_KEY + "x"),
    "Bearer " + API_KEY,
    "Basic !!!not-base64!!!",
    "Basic",
], ids=["missing", "wrong-key", "wrong-email", "longer-key", "bearer", "garbage", "empty"])
def test_bad_credentials_are_refused(emulator, authorization):
    for path in ("/v2/kafka/clusters", "/v2/kafka/connectors/" + PROD, "/v2/kafka/connector/x", "/v2/other"):
        answer = emulator.request("GET", path, authorization=authorization)
        assert answer.status == 401
        assert answer.headers["WWW-Authenticate"] == 'Basic realm="upstash"'
        assert answer.headers["Content-Type"] == "application/json"
        assert _json(answer) == {"error": "Unauthorized"}


@pytest.mark.parametrize("path, error", [
    ("/v2/kafka/connectors/no-such-cluster", "cluster not found"),
    ("/v2/kafka/connectors/", "cluster not found"),
    ("/v2/kafka/connector/no-such-connector", "connector not found"),
    ("/v2/kafka/connector/cHJvZC1ldmVudHMvcGctc291cmNl/resume", "not found"),
    ("/v2/kafka/connectors/" + PROD + "/extra", "cluster not found"),
    ("/v2/kafka/topics", "not found"),
    ("/v2", "not found"),
    ("/", "not found"),
    ("/v1/kafka/clusters", "not found"),
    ("/_emulator/nothing", "not found"),
])
def test_not_found(emulator, path, error):
    answer = emulator.api(path)
    assert answer.status == 404
    assert answer.headers["Content-Type"] == "application/json"
    assert _json(answer) == {"error": error}


@pytest.mark.parametrize("method, path, allow", [
    ("POST", "/v2/kafka/clusters", "GET, HEAD"),
    ("PATCH", "/v2/kafka/connector/cHJvZC1ldmVudHMvcGctc291cmNl", "GET, HEAD, DELETE"),
    ("PUT", "/v2/kafka/connectors/" + PROD, "GET, HEAD"),
    ("GET", "/v2/kafka/connector", "POST"),
    ("GET", "/v2/kafka/update-connector/cHJvZC1ldmVudHMvcGctc291cmNl", "POST"),
    ("DELETE", "/v2/kafka/connector/cHJvZC1ldmVudHMvcGctc291cmNl/restart", "POST"),
    ("GET", "/_emulator/reset", "POST"),
    ("GET", "/_emulator/fault", "POST"),
    ("POST", "/_emulator/stats", "GET"),
])
def test_method_not_allowed(emulator, method, path, allow):
    answer = emulator.api(path, method=method, body=b"{}")
    assert answer.status == 405
    assert answer.headers["Allow"] == allow
    assert "error" in _json(answer)


def test_unknown_method_gets_a_json_error(emulator):
    answer = emulator.api("/v2/kafka/clusters", method="BREW")
    assert answer.status == 501
    assert answer.headers["Content-Type"] == "application/json" and "error" in _json(answer)


# --- control API ----------------------------------------------------------------------------------------

def test_stats_count_and_log_api_requests_only(emulator):
    emulator.api("/v2/kafka/clusters", headers={"User-Agent": "unit-agent/1.0"})
    emulator.request("GET", "/v2/kafka/clusters")
    emulator.api("/v2/kafka/connectors/" + PROD + "?page=1")
    emulator.api("/v2/kafka/connector/nope")
    emulator.api("/not-api")
    emulator.stats()
    stats = emulator.stats()
    assert stats["requests"] == 4
    assert stats["by_path"] == {
        "/v2/kafka/clusters": 2, "/v2/kafka/connectors/" + PROD: 1, "/v2/kafka/connector/nope": 1}
    log = stats["requests_log"]
    assert [entry["path"] for entry in log] == [
        "/v2/kafka/clusters", "/v2/kafka/clusters", "/v2/kafka/connectors/" + PROD, "/v2/kafka/connector/nope"]
    assert [entry["authorization"] for entry in log] == [True, False, True, True]
    assert log[0]["user_agent"] == "unit-agent/1.0"
    assert all(isinstance(entry["user_agent"], str) for entry in log)
    assert stats["fault"] is None


def test_stats_never_hold_the_credentials(emulator):
    emulator.api("/v2/kafka/clusters")
    emulator.api("/v2/kafka/clusters", authorization=basic(key="another-secret-5e1"))
    text = emulator.control("stats").body.decode()
    for secret in (API_KEY, basic().split()[1], "another-secret-5e1", basic(key="another-secret-5e1").split()[1]):
        assert secret not in text


def test_reset_clears_counters_log_and_an_endless_fault_and_brings_back_the_sample_data(emulator):
    pg_source = "/v2/kafka/connector/cHJvZC1ldmVudHMvcGctc291cmNl"
    assert emulator.api(pg_source, method="DELETE").status == 200
    emulator.fault(mode="status", status=502, count=-1)
    for _attempt in range(3):
        assert emulator.api("/v2/kafka/clusters").status == 502
    assert emulator.stats()["fault"]["count"] == -1
    # without a body
    answer = emulator.request("POST", "/_emulator/reset")
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/json"
    stats = emulator.stats()
    assert stats["requests"] == 0 and stats["by_path"] == {} and stats["requests_log"] == []
    assert stats["fault"] is None
    assert emulator.api_json(pg_source)["name"] == "pg-source"


@pytest.mark.parametrize("spec", [
    {"mode": "nope"},
    {},
    {"mode": "status", "count": 0},
    {"mode": "status", "count": -2},
    {"mode": "status", "count": "2"},
    {"mode": "status", "count": True},
    {"mode": "status", "status": 99},
    {"mode": "status", "status": "500"},
    {"mode": "rate_limit", "retry_after": -1},
    {"mode": "slow", "delay": "5"},
    {"mode": "redirect"},
    {"mode": "redirect", "location": "/relative"},
    {"mode": "redirect", "location": "http://example.net/\r\nX-Injected: 1"},
    {"mode": "status", "method": "FETCH"},
    {"mode": "rate_limit", "processed": True},
    {"mode": "status", "processed": "yes"},
    ["status"],
    None,
    b"mode=status",
])
def test_invalid_faults_are_refused(emulator, spec):
    body = spec if isinstance(spec, bytes) else json.dumps(spec)
    answer = emulator.request("POST", "/_emulator/fault", body=body)
    assert answer.status == 400 and "error" in _json(answer)
    assert emulator.stats()["fault"] is None


# --- faults ---------------------------------------------------------------------------------------------

def test_status_fault_defaults_or_text_body_and_count_then_service_recovers(emulator):
    stored = emulator.fault(mode="status")["fault"]
    assert stored["count"] == 1 and stored["status"] == 500
    answer = emulator.api("/v2/kafka/clusters")
    assert (answer.status, answer.body) == (500, b'{"error": "internal error"}')
    assert answer.headers["Content-Type"] == "application/json"
    emulator.fault(mode="status", status=503, body="Service Unavailable", count=2)
    for _attempt in range(2):
        answer = emulator.api("/v2/kafka/connectors/" + PROD)
        assert answer.status == 503 and answer.body == b"Service Unavailable"
        assert answer.headers["Content-Type"].startswith("text/plain")
    assert emulator.api("/v2/kafka/connectors/" + PROD).status == 200
    assert emulator.stats()["requests"] == 4


def test_rate_limit_fault(emulator):
    emulator.fault(mode="rate_limit")
    answer = emulator.api("/v2/kafka/clusters")
    assert answer.status == 429 and answer.headers["Retry-After"] == "1" and "error" in _json(answer)
    emulator.fault(mode="rate_limit", retry_after=7)
    assert emulator.api("/v2/kafka/clusters").headers["Retry-After"] == "7"
    assert emulator.api("/v2/kafka/clusters").status == 200


def test_slow_fault_answers_normally_and_does_not_block_others(emulator):
    emulator.fault(mode="slow", delay=0.5)
    result = {}

    def slow_call():
        started = time.monotonic()
        result["answer"] = emulator.api("/v2/kafka/clusters")
        result["elapsed"] = time.monotonic() - started

    caller = threading.Thread(target=slow_call)
    caller.start()
    # The server is threaded: the control API answers while the slow request waits.
    assert emulator.control("stats").status == 200
    caller.join(30)
    assert result["answer"].status == 200 and len(_json(result["answer"])) == 3
    assert result["elapsed"] >= 0.4


@pytest.mark.parametrize("mode, content_type, body", [
    ("html", "text/html; charset=utf-8", b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title>"),
    ("strings", "application/json", b'["mongo-sink", "pg-source"]'),
    ("invalid_utf8", "application/json", b'[{"name": "\xff\xfe"}]'),
])
def test_faults_that_answer_200_with_another_body(emulator, mode, content_type, body):
    emulator.fault(mode=mode)
    answer = emulator.api("/v2/kafka/connectors/" + PROD)
    assert (answer.status, answer.headers["Content-Type"], answer.body[:len(body)]) == (200, content_type, body)


def test_object_fault(emulator):
    emulator.fault(mode="object", count=2)
    answer = emulator.api("/v2/kafka/connectors/" + STAGING)
    assert answer.status == 200
    assert [connector["name"] for connector in _json(answer)["connectors"]] == ["http-source", "legacy-sink"]
    wrapped = _json(emulator.api("/v2/kafka/clusters"))
    assert isinstance(wrapped, dict) and isinstance(wrapped["connectors"], list)


def test_truncated_fault(emulator):
    emulator.fault(mode="truncated")
    connection = emulator.connection()
    try:
        connection.request("GET", "/v2/kafka/connectors/" + PROD, headers={"Authorization": basic()})
        response = connection.getresponse()
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead) as raised:
            response.read()
        assert 0 < len(raised.value.partial) < int(response.headers["Content-Length"])
    finally:
        connection.close()
    assert emulator.api("/v2/kafka/connectors/" + PROD).status == 200


def test_drop_fault_skips_the_control_api_and_counts_requests(emulator):
    # Hanging up leaves nothing on stdout or stderr: the module fixture checks that when it stops the emulator.
    emulator.fault(mode="drop", count=2)
    assert emulator.control("stats").status == 200
    assert emulator.request("GET", "/elsewhere").status == 404
    for _attempt in range(2):
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            emulator.api("/v2/kafka/connectors/" + PROD)
    assert emulator.api("/v2/kafka/connectors/" + PROD).status == 200
    stats = emulator.stats()
    assert stats["requests"] == 3 and stats["by_path"] == {"/v2/kafka/connectors/" + PROD: 3}


def test_redirect_fault(emulator):
    emulator.fault(mode="redirect", location="https://elsewhere.example.net/v2/kafka/clusters")
    answer = emulator.api("/v2/kafka/clusters")
    assert answer.status == 302
    assert answer.headers["Location"] == "https://elsewhere.example.net/v2/kafka/clusters"
    assert int(answer.headers["Content-Length"]) == len(answer.body)


def test_new_fault_replaces_the_previous_one(emulator):
    emulator.fault(mode="status", count=5)
    emulator.fault(mode="strings", count=1)
    assert _json(emulator.api("/v2/kafka/clusters")) == ["mongo-sink", "pg-source"]
    assert emulator.api("/v2/kafka/clusters").status == 200


def test_faults_hit_before_authentication(emulator):
    # A fault stands for a proxy or outage in front of the API, so credentials do not matter.
    emulator.fault(mode="status", status=503)
    assert emulator.request("GET", "/v2/kafka/clusters").status == 503
    assert emulator.request("GET", "/v2/kafka/clusters").status == 401


# --- generated clusters ---------------------------------------------------------------------------------

def test_big_and_extra_clusters(big):
    clusters = big.api_json("/v2/kafka/clusters")
    assert [(cluster["name"], cluster["cluster_id"]) for cluster in clusters[3:]] == [
        ("big", "big-cluster"), ("extra-01", "extra-cluster-01"), ("extra-02", "extra-cluster-02"),
        ("extra-03", "extra-cluster-03")]
    answer = big.api("/v2/kafka/connectors/big-cluster", timeout=60)
    assert answer.status == 200 and int(answer.headers["Content-Length"]) == len(answer.body)
    connectors = _json(answer)
    assert len(connectors) == 20000
    assert connectors[0]["connector_id"] == "big-connector-000001"
    assert connectors[-1]["connector_id"] == "big-connector-020000"
    failed = [connector for connector in connectors if connector["state"] == "failed"]
    assert len(failed) == 200 and failed[0]["name"] == "big-connector-000100"
    assert all(connector["state"] == "running" for connector in connectors if connector not in failed)
    assert any(re.search(r"://[^/:]+:[^@/]+@", value) for value in connectors[0]["properties"].values())
    assert big.api_json("/v2/kafka/connector/big-connector-012345")["name"] == "big-connector-012345"
    for cluster in clusters[4:]:
        extra = big.api_json("/v2/kafka/connectors/" + cluster["cluster_id"])
        assert [(connector["name"], connector["state"]) for connector in extra] == [
            ("orders-sink", "running"), ("clicks-source", "failed"), ("orders-archive", "paused")]
        assert all(connector["cluster_id"] == cluster["cluster_id"] for connector in extra)
        connectors += extra
    ids = [connector["connector_id"] for connector in connectors]
    assert len(ids) == len(set(ids)) == 20000 + 9
    assert all(isinstance(value, str) for connector in connectors for value in connector["properties"].values())


# --- process life cycle and options ---------------------------------------------------------------------

@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly(sig):
    if not hasattr(signal, sig) or (sig == "SIGINT" and os.name == "nt"):
        pytest.skip("signal not available here")
    emulator = start_emulator()
    # An open keep-alive connection must not hold the process.
    connection = emulator.connection()
    connection.request("GET", "/v2/kafka/clusters", headers={"Authorization": basic()})
    assert connection.getresponse().read()
    try:
        status, out, err = emulator.stop(getattr(signal, sig))
    finally:
        connection.close()
    assert status == 0
    assert out == b"" and err == b""


DEMO = ("demo@example.com", "emulator-demo-key")
FROM_ENV = ("env@example.com", "env-key-4e1")


@pytest.mark.parametrize("options, environment, accepted, refused", [
    (False, {}, DEMO, (EMAIL, API_KEY)),
    (False, dict(UPSTASH_EMAIL=FROM_ENV[0], UPSTASH_API_KEY=FROM_ENV[1]), FROM_ENV, DEMO),
    # options win over the environment the collection reads
    (True, dict(UPSTASH_EMAIL=FROM_ENV[0], UPSTASH_API_KEY=FROM_ENV[1]), (EMAIL, API_KEY), FROM_ENV),
], ids=["default", "environment", "options"])
def test_credentials(options, environment, accepted, refused):
    emulator = start_emulator(credentials=options, environment=environment)
    try:
        answer = emulator.request("GET", "/v2/kafka/connectors/" + PROD, authorization=basic(*accepted))
        assert answer.status == 200 and {connector["customer_id"] for connector in _json(answer)} == {accepted[0]}
        assert emulator.request("GET", "/v2/kafka/clusters", authorization=basic(*refused)).status == 401
    finally:
        emulator.stop()


def test_verbose_logs_requests_but_no_credentials():
    emulator = start_emulator("--verbose")
    emulator.api("/v2/kafka/connectors/" + PROD + "?api_key=" + API_KEY)
    emulator.request("GET", "/v2/kafka/clusters", authorization=basic(key="wrong-9a7"))
    status, _out, err = emulator.stop()
    assert status == 0
    text = err.decode()
    assert "/v2/kafka/connectors/" + PROD in text and " 401" in text
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
    assert exited.value.code == 2 and out == ""
    assert err.startswith("usage:") and "error: " + error in err


def test_help_names_the_sample_clusters_truly_and_says_what_is_assumed(capsys):
    with pytest.raises(SystemExit) as exited:
        upstash_emulator.parse_args(["--help"])
    text = capsys.readouterr().out
    assert exited.value.code == 0
    data = upstash_emulator.sample_data(EMAIL, big_cluster_size=1, extra_clusters=1)
    for cluster, _connectors in data[:4]:
        assert "cluster %s, id %s" % (cluster["name"], cluster["cluster_id"]) in text
    big, extra = data[3], data[4][0]
    assert "add cluster %s (id %s) with N connectors" % (big[0]["name"], big[0]["cluster_id"]) in text
    assert big[1][0]["name"] == big[1][0]["connector_id"] == "big-connector-000001" and "big-connector-000001" in text
    assert "clusters %s..., ids %s..." % (extra["name"], extra["cluster_id"]) in text
    assumed = text.split("what the emulator assumes (neither Upstash's docs nor its Terraform provider settle it):")[1]
    for subject in ('{"error": "<reason>"}', "404 for an unknown cluster id", "upper case (RUNNING, FAILED, PAUSED)",
                    "pending for --pending-seconds", "restarting a paused connector leaves it paused",
                    'a body wrapped in {"properties": ...}', "objects, arrays or null"):
        assert subject in assumed


def test_busy_port_is_a_clean_error(running):
    result = subprocess.run([sys.executable, EMULATOR, "--port", str(running.port)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=60, check=False)
    assert result.returncode == 1
    assert result.stdout == b"" and b"cannot listen" in result.stderr and b"Traceback" not in result.stderr


def test_tls(tmp_path):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, timeout=120)
    emulator = start_emulator("--tls-cert", cert, "--tls-key", key)
    try:
        assert emulator.url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context(cafile=cert)
        context.check_hostname = False
        connection = http.client.HTTPSConnection(emulator.host, emulator.port, timeout=30, context=context)
        try:
            connection.request("GET", "/v2/kafka/connectors/" + PROD, headers={"Authorization": basic()})
            response = connection.getresponse()
            assert response.status == 200
            assert [connector["name"] for connector in json.loads(response.read())] == PROD_NAMES
        finally:
            connection.close()
    finally:
        status, out, err = emulator.stop()
    assert status == 0 and err == b""
