#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Offline emulator of the Kafka part of the Upstash Developer API v2.

It serves fixed, realistic sample data so the collection can be tested, demonstrated and used in CI
without an Upstash account. Python standard library only; runs on Python 3.8 and later.

Start it::

    python emulator/upstash_emulator.py [--host 127.0.0.1] [--port 0] [--email demo@example.com]
        [--api-key emulator-demo-key] [--big-cluster-size N] [--extra-clusters N]
        [--tls-cert PEM --tls-key PEM] [--verbose]

``--port 0`` picks a free port. Once listening, exactly one line is printed to stdout::

    UPSTASH_API_URL=http://127.0.0.1:PORT

(``https://`` with ``--tls-cert``/``--tls-key``), so a shell or a test can capture it::

    python emulator/upstash_emulator.py > url.txt &
    export "$(head -n1 url.txt)"

The emulator stops cleanly (exit status 0, no output) on SIGTERM or SIGINT.

API, HTTP basic auth with the e-mail as user name and the API key as password:

* ``GET /v2/kafka/clusters``: list of clusters.
* ``GET /v2/kafka/connectors/{cluster_id}``: the cluster's connectors, always in the same order.
* ``GET /v2/kafka/connector/{connector_id}``: one connector.

Sample clusters: ``prod-events`` (``7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01``: mongo-sink, pg-source,
s3-archive, es-sink), ``staging`` (``staging_cluster-02``: http-source, legacy-sink) and ``empty``
(``e0e0e0e0-0000-4000-8000-000000000003``: no connector). ``--big-cluster-size N`` adds cluster
``big-cluster`` with N connectors, ``--extra-clusters N`` adds ``extra-cluster-01``... with three
connectors each.

Control API for tests, without authentication, JSON in and out:

* ``GET /_emulator/stats``: ``{"requests": N, "by_path": {...}, "requests_log": [...], "fault": ...}``
  about the requests under ``/v2``. The log keeps the last 10,000 requests and records only whether an
  Authorization header was sent, never its value.
* ``POST /_emulator/reset``: clear counters, log and fault.
* ``POST /_emulator/fault`` with ``{"mode": M, "count": N, ...}``: the next N requests under ``/v2``
  (default 1, -1 for every request until reset) get the fault. Modes and their options:
  ``status`` (``status`` = 500, ``body``), ``rate_limit`` (``retry_after`` = 1), ``slow`` (``delay`` = 5
  seconds, then a normal answer), ``html``, ``object``, ``strings``, ``invalid_utf8``, ``truncated``,
  ``drop``, ``redirect`` (``location``, a full URL) and ``echo_auth`` (``status`` = 502: an error whose
  text repeats the request's Authorization header, encoded and decoded, as a debugging proxy might, to
  test that clients keep credentials out of their messages). For example::

      curl -X POST -d '{"mode": "rate_limit", "count": 2}' "$UPSTASH_API_URL/_emulator/fault"
"""

from __future__ import annotations

import argparse
import base64
import binascii
import collections
import hashlib
import hmac
import json
import math
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

CLUSTERS_PATH = "/v2/kafka/clusters"
CONNECTORS_PREFIX = "/v2/kafka/connectors/"
CONNECTOR_PREFIX = "/v2/kafka/connector/"
CONTROL_PREFIX = "/_emulator/"

JSON_TYPE = "application/json"
# Bounded so a long CI run that polls the API cannot grow the emulator without limit.
LOG_LIMIT = 10000
# Control requests are tiny; anything bigger is a client bug, not data worth buffering.
MAX_BODY = 1024 * 1024
# Idle keep-alive connections must not pin a worker thread forever.
CONNECTION_TIMEOUT = 120
# A created_at base so every run yields byte-identical data.
EPOCH = 1696152000

PG_TRACE = "\n".join((
    "org.apache.kafka.connect.errors.ConnectException: java.sql.SQLException: "
    "FATAL: password authentication failed for user \"shop\"",
    "\tat io.confluent.connect.jdbc.util.CachedConnectionProvider.getConnection(CachedConnectionProvider.java:59)",
    "\tat io.confluent.connect.jdbc.source.JdbcSourceTask.start(JdbcSourceTask.java:96)",
    "\tat org.apache.kafka.connect.runtime.WorkerSourceTask.execute(WorkerSourceTask.java:232)",
    "\tat org.apache.kafka.connect.runtime.WorkerTask.doRun(WorkerTask.java:189)",
    "\tat org.apache.kafka.connect.runtime.WorkerTask.run(WorkerTask.java:244)",
    "\tat java.base/java.lang.Thread.run(Thread.java:829)",
    "Caused by: org.postgresql.util.PSQLException: FATAL: password authentication failed for user \"shop\"",
    "\tat org.postgresql.core.v3.ConnectionFactoryImpl.doAuthentication(ConnectionFactoryImpl.java:646)",
    "\t... 12 more",
))

ES_TRACE = "\n".join((
    "org.apache.kafka.connect.errors.ConnectException: Bulk request failed: index [clicks] is read-only",
    "\tat io.aiven.connect.elasticsearch.bulk.BulkProcessor$BulkTask.execute(BulkProcessor.java:427)",
    "\tat org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages(WorkerSinkTask.java:581)",
    "\tat java.base/java.lang.Thread.run(Thread.java:829)",
))

HTTP_TRACE = "\n".join((
    "org.apache.kafka.connect.errors.ConnectException: HTTP 503 from ingest.example.net after 10 retries",
    "\tat io.aiven.kafka.connect.http.sender.HttpSender.sendWithRetries(HttpSender.java:92)",
    "\tat java.base/java.lang.Thread.run(Thread.java:829)",
))

HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><h1>502 Bad Gateway</h1><p>The upstream server did not answer in time.</p></body></html>\n"
)


# ---------------------------------------------------------------------------------------------------
# Sample data
# ---------------------------------------------------------------------------------------------------

def _secret(seed):
    # Derived rather than literal so each cluster has a distinct, stable, realistic-looking secret.
    return base64.b64encode(hashlib.sha256(("emulator:" + seed).encode()).digest()).decode()


def _cluster(cluster_id, name, region, created, plan="paid", multizone=False):
    host = "%s-%s" % (name, region.replace("-", ""))
    return {
        "cluster_id": cluster_id,
        "name": name,
        "region": region,
        "type": plan,
        "multizone": multizone,
        "tcp_endpoint": host + "-kafka.upstash.io",
        "rest_endpoint": host + "-rest-kafka.upstash.io",
        "state": "active",
        "username": base64.urlsafe_b64encode((name + "-kafka-user").encode()).decode().rstrip("="),
        "password": _secret(cluster_id),
        "max_retention_size": 1073741824 if plan == "free" else 107374182400,
        "max_messages_per_second": 50 if plan == "free" else 1000,
        "max_message_size": 1048576,
        "max_partitions": 10 if plan == "free" else 100,
        "creation_time": created,
    }


def _task(task_id, state, trace=""):
    return {"id": task_id, "state": state, "trace": trace}


def _connector(email, cluster, connector_id, name, created, state, connector_class, topics, properties,
               tasks, error="", ttl=0, **extra):
    connector = {
        "connector_id": connector_id,
        "name": name,
        "customer_id": email,
        "cluster_id": cluster["cluster_id"],
        "creation_time": created,
        "deletion_time": 0,
        "state": state,
        "state_error_message": error,
        # Upstash mirrors the Kafka Connect worker state in upper case; pending has none yet.
        "connector_state": {"running": "RUNNING", "failed": "FAILED", "paused": "PAUSED"}.get(state, ""),
        "tasks": tasks,
        "topics": topics,
        "connector_class": connector_class,
        "properties": properties,
        "encoded_username": base64.urlsafe_b64encode(
            ("%s-connect-%s" % (cluster["name"], name)).encode()).decode().rstrip("="),
        "TTL": ttl,
    }
    connector.update(extra)
    return connector


def _big_connector(email, cluster, number):
    # Every 100th connector fails so large-listing consumers have something to filter.
    failed = number % 100 == 0
    name = "big-connector-%06d" % number
    topic = "events-%02d" % (number % 50)
    properties = {
        "connector.class": "io.aiven.kafka.connect.http.HttpSinkConnector",
        "http.url": "https://ingest:Big-Pass-%06d@ingest.example.net/events" % number,
        "topics": topic,
        "tasks.max": "1",
        "batching.enabled": "true",
    }
    task = _task(0, "FAILED", HTTP_TRACE) if failed else _task(0, "RUNNING")
    return _connector(
        email, cluster, name, name, EPOCH + 86400 + number, "failed" if failed else "running",
        properties["connector.class"], [topic], properties, [task],
        error="HTTP 503 from ingest.example.net after 10 retries" if failed else "",
    )


def _extra_connectors(email, cluster, number):
    prefix = "extra-%02d-connector-" % number
    sink = {"connector.class": "com.mongodb.kafka.connect.MongoSinkConnector", "topics": "orders",
            "connection.uri": "mongodb://extra:Extra-Pass-%02d@mongo.example.net/orders" % number,
            "database": "orders", "tasks.max": "1"}
    source = {"connector.class": "com.github.castorm.kafka.connect.http.HttpSourceConnector",
              "http.request.url": "https://api.example.net/v1/clicks", "kafka.topic": "clicks", "tasks.max": "1"}
    archive = {"connector.class": "io.confluent.connect.s3.S3SinkConnector", "topics": "orders",
               "s3.bucket.name": "extra-%02d-archive" % number, "aws.access.key.id": "AKIAEXAMPLE",
               "aws.secret.access.key": "Extra-S3-Secret-%02d" % number, "tasks.max": "1"}
    created = cluster["creation_time"] + 3600
    return [
        _connector(email, cluster, prefix + "1", "orders-sink", created, "running", sink["connector.class"],
                   ["orders"], sink, [_task(0, "RUNNING")]),
        _connector(email, cluster, prefix + "2", "clicks-source", created + 60, "failed",
                   source["connector.class"], ["clicks"], source, [_task(0, "FAILED", HTTP_TRACE)],
                   error="HTTP 503 from api.example.net after 10 retries"),
        _connector(email, cluster, prefix + "3", "orders-archive", created + 120, "paused",
                   archive["connector.class"], ["orders"], archive, [_task(0, "PAUSED")]),
    ]


def sample_data(email, big_cluster_size=0, extra_clusters=0):
    """Return the whole data set as [(cluster, [connector, ...]), ...] in answer order."""
    prod = _cluster("7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01", "prod-events", "eu-west-1", EPOCH, multizone=True)
    staging = _cluster("staging_cluster-02", "staging", "us-east-1", EPOCH + 600, plan="free")
    empty = _cluster("e0e0e0e0-0000-4000-8000-000000000003", "empty", "ap-southeast-1", EPOCH + 1200,
                     plan="free")

    mongo = {
        "connector.class": "com.mongodb.kafka.connect.MongoSinkConnector",
        "connection.uri": "mongodb+srv://appuser:Mongo-Pa55w0rd@cluster0.example.net/orders?retryWrites=true",
        "database": "orders",
        "collection": "orders",
        "topics": "orders",
        "tasks.max": "1",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    }
    pg = {
        "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
        "connection.url": "jdbc:postgresql://db.example.net:5432/shop",
        "connection.user": "shop",
        "connection.password": "Pg-Secret-123",
        "mode": "incrementing",
        "incrementing.column.name": "id",
        "table.whitelist": "customers,invoices",
        "topic.prefix": "shop-",
        "tasks.max": "1",
    }
    s3 = {
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "aws.access.key.id": "AKIAEXAMPLE",
        "aws.secret.access.key": "s3-Secret-Key",
        "s3.bucket.name": "archive",
        "s3.region": "eu-west-1",
        "topics": "orders,payments",
        "flush.size": "1000",
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        "tasks.max": "1",
    }
    es = {
        "connector.class": "io.aiven.connect.elasticsearch.ElasticsearchSinkConnector",
        "connection.url": "https://search.example.net:9200",
        "connection.username": "elastic",
        "topics": "orders,clicks",
        "tasks.max": "2",
        "key.ignore": "true",
        "ssl": {"truststore.password": "trust-me", "enabled": True},
        "sasl.jaas.config": "org.apache.kafka.common.security.plain.PlainLoginModule required "
                            "username=\"u\" password=\"p\";",
    }
    http = {
        "connector.class": "com.github.castorm.kafka.connect.http.HttpSourceConnector",
        "http.request.url": "https://api.example.net/v1/webhooks",
        "http.request.headers": "Authorization: Bearer stg-Token-789",
        "http.timer.interval.millis": "60000",
        "kafka.topic": "webhooks",
        "tasks.max": "1",
    }

    data = [
        (prod, [
            _connector(email, prod, "cHJvZC1ldmVudHMvbW9uZ28tc2luaw", "mongo-sink", EPOCH + 3600, "running",
                       mongo["connector.class"], ["orders"], mongo, [_task(0, "RUNNING")]),
            _connector(email, prod, "cHJvZC1ldmVudHMvcGctc291cmNl", "pg-source", EPOCH + 7200, "failed",
                       pg["connector.class"], ["shop-customers", "shop-invoices"], pg,
                       [_task(0, "FAILED", PG_TRACE)],
                       error="Task threw an uncaught and unrecoverable exception: "
                             "password authentication failed for user \"shop\""),
            _connector(email, prod, "cHJvZC1ldmVudHMvczMtYXJjaGl2ZQ", "s3-archive", EPOCH + 10800, "paused",
                       s3["connector.class"], ["orders", "payments"], s3, [_task(0, "PAUSED")]),
            # Running with one failed task, extra top-level fields and a field no client knows yet.
            _connector(email, prod, "cHJvZC1ldmVudHMvZXMtc2luaw", "es-sink", EPOCH + 14400, "running",
                       es["connector.class"], ["orders", "clicks"], es,
                       [_task(0, "RUNNING"), _task(1, "FAILED", ES_TRACE)],
                       user_password="Es-User-Pass", properties_encrypted=False, schema_version=2),
        ]),
        (staging, [
            # Pending connectors get a TTL: Upstash drops them if they never start.
            _connector(email, staging, "c3RhZ2luZy9odHRwLXNvdXJjZQ", "http-source", EPOCH + 18000, "pending",
                       http["connector.class"], ["webhooks"], http, [], ttl=EPOCH + 18000 + 1800),
            # Records created before Upstash stored details come back with nulls.
            _connector(email, staging, "c3RhZ2luZy9sZWdhY3ktc2luaw", "legacy-sink", EPOCH + 900, "running",
                       "io.aiven.connect.jdbc.JdbcSinkConnector", None, None, None),
        ]),
        (empty, []),
    ]

    if big_cluster_size:
        big = _cluster("big-cluster", "big", "us-east-1", EPOCH + 86400)
        data.append((big, [_big_connector(email, big, number) for number in range(1, big_cluster_size + 1)]))

    for number in range(1, extra_clusters + 1):
        extra = _cluster("extra-cluster-%02d" % number, "extra-%02d" % number, "eu-west-1",
                         EPOCH + 2 * 86400 + number * 600)
        data.append((extra, _extra_connectors(email, extra, number)))
    return data


# ---------------------------------------------------------------------------------------------------
# Pre-serialised answers
# ---------------------------------------------------------------------------------------------------

def _to_json(value):
    return json.dumps(value).encode("utf-8")


class Catalog:
    """Every API answer as bytes, built once so a 20,000 connector listing costs only a socket write."""

    def __init__(self, data):
        self.clusters_body = _to_json([entry[0] for entry in data])
        self.connector_lists = {}
        self.connectors = {}
        for cluster, connectors in data:
            items = []
            for connector in connectors:
                body = _to_json(connector)
                if connector["connector_id"] in self.connectors:
                    raise ValueError("duplicate connector id %s" % connector["connector_id"])
                self.connectors[connector["connector_id"]] = body
                items.append(body)
            # Joining the already-encoded items gives the same bytes as dumping the list, at half the cost.
            self.connector_lists[cluster["cluster_id"]] = b"[" + b", ".join(items) + b"]"
        self.default_list = self.connector_lists[data[0][0]["cluster_id"]]

    def listing_for(self, path):
        """The connector list a path names, or the first cluster's: the payload that faults distort."""
        if path.startswith(CONNECTORS_PREFIX):
            found = self.connector_lists.get(unquote(path[len(CONNECTORS_PREFIX):]))
            if found is not None:
                return found
        return self.default_list


# ---------------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------------

FAULT_OPTIONS = {
    "status": {"status": 500, "body": '{"error": "internal error"}'},
    "rate_limit": {"retry_after": 1},
    "slow": {"delay": 5},
    "html": {},
    "object": {},
    "strings": {},
    "invalid_utf8": {},
    "truncated": {},
    "drop": {},
    "redirect": {"location": None},
    "echo_auth": {"status": 502},
}


def _is_int(value):
    # bool is an int subclass, but {"count": true} is a client mistake worth refusing.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    # JSON lets NaN and Infinity through; neither is a usable delay.
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def _check_fault_options(fault):
    mode = fault["mode"]
    if mode == "status":
        if not _is_int(fault["status"]) or not 200 <= fault["status"] <= 599:
            raise ValueError("status must be an integer from 200 to 599")
        if not isinstance(fault["body"], str):
            fault["body"] = json.dumps(fault["body"])
    elif mode == "echo_auth":
        if not _is_int(fault["status"]) or not 400 <= fault["status"] <= 599:
            raise ValueError("status must be an integer from 400 to 599")
    elif mode == "rate_limit":
        if not _is_int(fault["retry_after"]) or fault["retry_after"] < 0:
            raise ValueError("retry_after must be a non-negative integer")
    elif mode == "slow":
        if not _is_number(fault["delay"]) or not 0 <= fault["delay"] <= 3600:
            raise ValueError("delay must be a number of seconds from 0 to 3600")
    elif mode == "redirect":
        location = fault["location"]
        # The value becomes a header line: refuse anything that could inject another header.
        if (not isinstance(location, str) or not location.startswith(("http://", "https://"))
                or any(ord(char) < 32 or ord(char) == 127 for char in location)):
            raise ValueError("location must be a full http:// or https:// URL")


def parse_fault(spec):
    """Validate a fault request body; return the stored fault or raise ValueError with the reason."""
    if not isinstance(spec, dict):
        raise ValueError("the fault must be a JSON object")
    mode = spec.get("mode")
    if mode not in FAULT_OPTIONS:
        raise ValueError("mode must be one of: " + ", ".join(sorted(FAULT_OPTIONS)))
    count = spec.get("count", 1)
    if not _is_int(count) or (count < 1 and count != -1):
        raise ValueError("count must be a positive integer, or -1 for every request until reset")
    fault = {"mode": mode, "count": count, "remaining": count}
    for option, default in FAULT_OPTIONS[mode].items():
        fault[option] = spec.get(option, default)
    _check_fault_options(fault)
    return fault


class EmulatorState:
    """What tests change and inspect at run time, shared by all handler threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.requests = 0
            self.by_path = {}
            self.log = collections.deque(maxlen=LOG_LIMIT)
            self.fault = None

    def record(self, method, path, has_authorization, user_agent):
        with self._lock:
            self.requests += 1
            self.by_path[path] = self.by_path.get(path, 0) + 1
            self.log.append({"method": method, "path": path, "authorization": has_authorization,
                             "user_agent": user_agent})

    def set_fault(self, fault):
        with self._lock:
            self.fault = fault

    def take_fault(self):
        """The fault for this request, if any, counting it against the remaining budget."""
        with self._lock:
            fault = self.fault
            if fault is None:
                return None
            if fault["remaining"] > 0:
                fault["remaining"] -= 1
                if fault["remaining"] == 0:
                    self.fault = None
            return dict(fault)

    def snapshot(self):
        with self._lock:
            return {"requests": self.requests, "by_path": dict(self.by_path), "requests_log": list(self.log),
                    "fault": None if self.fault is None else dict(self.fault)}


# ---------------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------------

def _error_body(message):
    return _to_json({"error": message})


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle's algorithm on, each answer after the first on a kept-alive
    # connection would wait for the client's delayed ACK (about 40 ms on Linux) before its body goes out.
    disable_nagle_algorithm = True
    server_version = "upstash-emulator/1.0"
    timeout = CONNECTION_TIMEOUT

    def version_string(self):
        # The Python version is nobody's business and would vary between otherwise identical runs.
        return self.server_version

    # -- plumbing ---------------------------------------------------------------------------------

    def do_GET(self):
        self._dispatch()

    # Every common verb reaches the router so misuse gets a JSON 405/404 rather than the stdlib's 501.
    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def log_request(self, code="-", size="-"):
        # The query string is left out: a careless client might put a key there.
        # int() so Python 3.8 logs "400" rather than the enum's name.
        self.log_message("%s %s %s", self.command, urlsplit(self.path).path, int(code) if code != "-" else code)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), format % args))

    def send_error(self, code, message=None, explain=None):
        # The stdlib answers malformed requests with HTML; API clients expect JSON everywhere.
        self.close_connection = True
        self._send(code, _error_body(message or self.responses.get(code, ("error",))[0]),
                   headers=[("Connection", "close")])

    def _send(self, status, body, content_type=JSON_TYPE, headers=(), length=None):
        self.send_response(status)
        bodyless = status in (204, 304)
        if not bodyless:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and not bodyless:
            self.wfile.write(body)

    def _send_json(self, status, value):
        self._send(status, _to_json(value))

    def _read_body(self):
        """The request body, or None once an error answer has been sent."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(411, "send request bodies with Content-Length")
            return None
        length = self.headers.get("Content-Length", "").strip()
        if not length:
            return b""
        if not length.isdigit():
            self.send_error(400, "invalid Content-Length")
            return None
        if int(length) > MAX_BODY:
            self.send_error(413, "request body too large")
            return None
        return self.rfile.read(int(length))

    def _dispatch(self):
        path = urlsplit(self.path).path
        body = self._read_body()
        if body is None:
            return
        if path == "/v2" or path.startswith("/v2/"):
            self._serve_api(path)
        elif path.startswith(CONTROL_PREFIX):
            self._serve_control(path, body)
        else:
            self._send_json(404, {"error": "not found"})

    # -- the emulated API -------------------------------------------------------------------------

    def _serve_api(self, path):
        self.server.state.record(self.command, path, "Authorization" in self.headers,
                                 self.headers.get("User-Agent", "")[:200])
        fault = self.server.state.take_fault()
        # Faults come before auth: they stand for proxies and outages in front of the real service.
        if fault is not None and self._apply_fault(fault, path):
            return
        if not self._authorized():
            self._send(401, _error_body("Unauthorized"), headers=[("WWW-Authenticate", 'Basic realm="upstash"')])
            return
        self._route_api(path)

    def _authorized(self):
        scheme, _space, token = self.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        # Constant-time so the emulator does not teach clients bad habits about timing.
        return hmac.compare_digest(given, self.server.credentials)

    def _route_api(self, path):
        catalog = self.server.catalog
        if path == CLUSTERS_PATH:
            table, key, missing = None, None, None
        elif path.startswith(CONNECTORS_PREFIX):
            table, key, missing = catalog.connector_lists, path[len(CONNECTORS_PREFIX):], "cluster not found"
        elif path.startswith(CONNECTOR_PREFIX):
            table, key, missing = catalog.connectors, path[len(CONNECTOR_PREFIX):], "connector not found"
        else:
            self._send_json(404, {"error": "not found"})
            return
        if self.command not in ("GET", "HEAD"):
            self._send(405, _error_body("method not allowed"), headers=[("Allow", "GET, HEAD")])
            return
        body = catalog.clusters_body if table is None else table.get(unquote(key))
        if body is None:
            self._send_json(404, {"error": missing})
        else:
            self._send(200, body)

    def _apply_fault(self, fault, path):
        """Answer according to the fault; False means carry on with the normal answer."""
        mode = fault["mode"]
        if mode == "slow":
            time.sleep(fault["delay"])
            return False
        if mode == "status":
            body = fault["body"]
            self._send(fault["status"], body.encode("utf-8"), _content_type_of(body))
        elif mode == "rate_limit":
            self._send(429, _error_body("rate limit exceeded"), headers=[("Retry-After", str(fault["retry_after"]))])
        elif mode == "html":
            self._send(200, HTML_ERROR_PAGE, "text/html; charset=utf-8")
        elif mode == "object":
            self._send(200, b'{"connectors": ' + self.server.catalog.listing_for(path) + b"}")
        elif mode == "strings":
            self._send_json(200, ["mongo-sink", "pg-source"])
        elif mode == "invalid_utf8":
            self._send(200, b'[{"name": "\xff\xfe"}]')
        elif mode == "truncated":
            full = self.server.catalog.listing_for(path)
            # Promise the whole listing, deliver half, hang up: what a dying proxy looks like.
            self._send(200, full[:len(full) // 2], length=len(full))
            self.close_connection = True
        elif mode == "drop":
            self.close_connection = True
        elif mode == "redirect":
            self._send(302, _error_body("moved"), headers=[("Location", fault["location"])])
        elif mode == "echo_auth":
            sent = self.headers.get("Authorization", "")
            try:
                decoded = base64.b64decode(sent.partition(" ")[2].strip(), validate=True).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                decoded = ""
            self._send(fault["status"], _error_body(
                "upstream refused the request; it carried Authorization: %s (%s)" % (sent, decoded)))
        return True

    # -- the control API --------------------------------------------------------------------------

    def _serve_control(self, path, body):
        routes = {
            "stats": ("GET", self._control_stats),
            "reset": ("POST", self._control_reset),
            "fault": ("POST", self._control_fault),
        }
        route = routes.get(path[len(CONTROL_PREFIX):])
        if route is None:
            self._send_json(404, {"error": "not found"})
        elif self.command != route[0]:
            self._send(405, _error_body("method not allowed"), headers=[("Allow", route[0])])
        else:
            route[1](body)

    def _control_stats(self, _body):
        self._send_json(200, self.server.state.snapshot())

    def _control_reset(self, _body):
        self.server.state.reset()
        self._send_json(200, {"reset": True})

    def _control_fault(self, body):
        try:
            fault = parse_fault(json.loads(body.decode("utf-8") or "null"))
        except (ValueError, UnicodeDecodeError) as error:
            self._send_json(400, {"error": str(error)})
            return
        self.server.state.set_fault(fault)
        self._send_json(200, {"fault": fault})


def _content_type_of(text):
    try:
        json.loads(text)
    except ValueError:
        return "text/plain; charset=utf-8"
    return JSON_TYPE


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, catalog, credentials, verbose=False, tls_context=None):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.catalog = catalog
        self.state = EmulatorState()
        self.credentials = credentials
        self.verbose = verbose
        self.tls_context = tls_context
        ThreadingHTTPServer.__init__(self, address, EmulatorHandler)

    def server_bind(self):
        # HTTPServer.server_bind resolves the host's FQDN, which can stall for seconds on CI runners.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def finish_request(self, request, client_address):
        if self.tls_context is None:
            ThreadingHTTPServer.finish_request(self, request, client_address)
            return
        # The TLS handshake runs here, in the worker thread, so a stalled client cannot block accept().
        request.settimeout(CONNECTION_TIMEOUT)
        try:
            tls_request = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            ThreadingHTTPServer.finish_request(self, tls_request, client_address)
        finally:
            tls_request.close()

    def handle_error(self, request, client_address):
        # Clients hanging up mid-answer is routine in fault tests; stay quiet unless asked.
        if self.verbose:
            ThreadingHTTPServer.handle_error(self, request, client_address)

    def url(self):
        host, port = self.server_address[:2]
        # A wildcard address is not something a client can connect to; point at loopback instead.
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
        if ":" in host:
            host = "[%s]" % host
        return "%s://%s:%d" % ("https" if self.tls_context else "http", host, port)


# ---------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------

def _non_negative(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not an integer" % text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _port(text):
    value = _non_negative(text)
    if value > 65535:
        raise argparse.ArgumentTypeError("must be at most 65535")
    return value


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Emulator of the Upstash Developer API v2 (Kafka).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=_port, default=0, help="port to listen on, 0 for a free one (default: 0)")
    parser.add_argument("--email", default="demo@example.com", help="user name for basic auth (default: %(default)s)")
    parser.add_argument("--api-key", default="emulator-demo-key", help="password for basic auth")
    parser.add_argument("--big-cluster-size", type=_non_negative, default=0, metavar="N",
                        help="add cluster big-cluster with N connectors (default: 0)")
    parser.add_argument("--extra-clusters", type=_non_negative, default=0, metavar="N",
                        help="add N small clusters with 3 connectors each (default: 0)")
    parser.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate (needs --tls-key)")
    parser.add_argument("--tls-key", metavar="PEM", help="private key for --tls-cert")
    parser.add_argument("--verbose", action="store_true", help="log requests (never credentials) to stderr")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.tls_cert:
        try:
            args.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            args.tls_context.load_cert_chain(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError) as error:
            parser.error("cannot load the TLS certificate or key: %s" % error)
    else:
        args.tls_context = None
    return args


# ---------------------------------------------------------------------------------------------------
# Running the emulator from Python: test suites and benchmarks
# ---------------------------------------------------------------------------------------------------

class ChildEmulator:
    """This emulator started as a child process on a free port of 127.0.0.1, and its control API.

    ``ChildEmulator("--email", "ci@example.com", "--api-key", "k")`` starts it and waits for its URL;
    ``stats()``, ``reset()`` and ``fault(mode, count, **options)`` call the control API; ``stop()``
    ends it. ``cafile`` trusts the certificate of an emulator started with ``--tls-cert``.
    """

    def __init__(self, *arguments, **settings):
        python, cafile = settings.get("python", sys.executable), settings.get("cafile")
        self.timeout = settings.get("timeout", 30)
        self.context = None if cafile is None else ssl.create_default_context(cafile=cafile)
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [python, __file__, "--port", "0"] + list(arguments), stdout=subprocess.PIPE, universal_newlines=True)
        line = self.process.stdout.readline().strip()
        if not line.startswith("UPSTASH_API_URL="):
            self.stop()
            raise RuntimeError("the emulator did not start: %r" % line)
        self.url = line.split("=", 1)[1]

    def control(self, path, payload=None):
        """Call /_emulator/<path>: GET without a payload, POST with one; the decoded JSON answer."""
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(self.url + CONTROL_PREFIX + path, data=data, method="GET" if data is None else "POST")
        with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as answer:
            return json.loads(answer.read() or b"null")

    def stats(self):
        return self.control("stats")

    def reset(self):
        self.control("reset", {})

    def fault(self, mode, count=1, **options):
        self.control("fault", dict(options, mode=mode, count=count))

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    catalog = Catalog(sample_data(args.email, args.big_cluster_size, args.extra_clusters))
    credentials = ("%s:%s" % (args.email, args.api_key)).encode("utf-8")
    try:
        server = EmulatorServer((args.host, args.port), catalog, credentials, args.verbose, args.tls_context)
    except OSError as error:
        sys.stderr.write("upstash_emulator: cannot listen on %s:%d: %s\n" % (args.host, args.port, error.strerror))
        return 1

    stop = threading.Event()

    def request_stop(_signum, _frame):
        stop.set()

    # Installed before the URL is printed, so a caller that stops us right after reading it is honoured.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    # Serving from a thread keeps the main thread free to react to signals; shutdown() from a
    # signal handler running inside serve_forever() would deadlock.
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    worker.daemon = True
    worker.start()

    sys.stdout.write("UPSTASH_API_URL=%s\n" % server.url())
    sys.stdout.flush()

    # A timed wait, because an untimed one is not interrupted by signals on every platform.
    while not stop.wait(1.0):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
