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
        [--pending-seconds S] [--tls-cert PEM --tls-key PEM] [--verbose]

``--email`` and ``--api-key`` default to ``$UPSTASH_EMAIL`` and ``$UPSTASH_API_KEY`` when those are
set, the variables the collection reads, so one environment configures both and the key stays off
the command line (where ``ps`` shows it). ``--port 0`` picks a free port. Once listening, exactly one line is printed to stdout::

    UPSTASH_API_URL=http://127.0.0.1:PORT

(``https://`` with ``--tls-cert``/``--tls-key``), so a shell or a test can capture it::

    python emulator/upstash_emulator.py > url.txt &
    export "$(head -n1 url.txt)"

The emulator stops cleanly (exit status 0, no output) on SIGTERM or SIGINT.

API, HTTP basic auth with the e-mail as user name and the API key as password:

* ``GET /v2/kafka/clusters``: list of clusters.
* ``GET /v2/kafka/connectors/{cluster_id}``: the cluster's connectors, always in the same order.
* ``GET /v2/kafka/connector/{connector_id}``: one connector.
* ``POST /v2/kafka/connector`` with ``{"name", "cluster_id", "properties"}``: a new connector, ``pending``.
* ``POST /v2/kafka/update-connector/{connector_id}`` with an object of properties (the body itself, not
  ``{"properties": ...}``): those change, the others stay.
* ``DELETE /v2/kafka/connector/{connector_id}``: ``"OK"``.
* ``POST /v2/kafka/connector/{connector_id}/pause`` (``/start``, ``/restart``): ``"OK"``.

The shapes are those of Upstash's docs and Terraform provider: clusters with every documented field,
connector property values and ``properties_encrypted`` as strings. ``--help`` describes the sample data
and lists what the emulator assumes where neither settles the API's behaviour (HELP_EPILOG below).

Control API for tests, without authentication, JSON in and out:

* ``GET /_emulator/stats``: ``{"requests": N, "by_path": {...}, "requests_log": [...], "fault": ...}``
  about the requests under ``/v2``. The log keeps the last 10,000 requests and records only whether an
  Authorization header was sent, never its value, and of a JSON object body only its keys (``body_keys``).
* ``POST /_emulator/reset``: clear counters, log and fault, and bring back the sample data.
* ``POST /_emulator/fault`` with ``{"mode": M, "count": N, ...}``: the next N requests under ``/v2``
  (default 1, -1 for every request until reset) get the fault. Modes and their options:
  ``status`` (``status`` = 500, ``body``), ``rate_limit`` (``retry_after`` = 1), ``slow`` (``delay`` = 5
  seconds, then a normal answer), ``html``, ``object``, ``strings``, ``invalid_utf8``, ``truncated``,
  ``drop``, ``redirect`` (``location``, a full URL) and ``echo_auth`` (``status`` = 502: an error whose
  text repeats the request's Authorization header, encoded and decoded, as a debugging proxy might, to
  test that clients keep credentials out of their messages). Every mode also takes ``method`` (only
  requests with this method get the fault, others pass and do not count), and ``status`` and ``drop``
  take ``processed`` (``true``: the request is carried out first and its answer lost, as when a gateway
  gives up after the service acted). For example::

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
import os
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
CREATE_PATH = "/v2/kafka/connector"
UPDATE_PREFIX = "/v2/kafka/update-connector/"
CONNECTOR_ACTIONS = ("pause", "start", "restart")
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
        # Milliseconds, as in Upstash's documented example: 7 days on the free plan, 30 on a paid one.
        "max_retention_time": 604800000 if plan == "free" else 2592000000,
        "max_messages_per_second": 50 if plan == "free" else 1000,
        "max_message_size": 1048576,
        "max_partitions": 10 if plan == "free" else 100,
        "creation_time": created,
    }


# The Kafka Connect worker states in upper case, for connector_state and each task: an assumption (see --help).
WORKER_STATES = {"running": "RUNNING", "failed": "FAILED", "paused": "PAUSED"}


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
        # Empty while pending, as Upstash's docs show it.
        "connector_state": WORKER_STATES.get(state, ""),
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
        "ssl.enabled": "true",
        "ssl.truststore.password": "trust-me",
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
            # Running with one failed task, the fields only some clients have seen and one no client knows yet.
            # The Terraform provider reads properties_encrypted as a string, the encrypted properties: opaque here.
            _connector(email, prod, "cHJvZC1ldmVudHMvZXMtc2luaw", "es-sink", EPOCH + 14400, "running",
                       es["connector.class"], ["orders", "clicks"], es,
                       [_task(0, "RUNNING"), _task(1, "FAILED", ES_TRACE)],
                       user_password="Es-User-Pass", properties_encrypted=_secret("es-sink properties"),
                       schema_version=2),
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


# Kafka Connect validates a connector's configuration when it starts; these are the checks the emulator
# makes, so a connector given a wrong connection URI ends up failed as on the real service.
# (fragment of the connector class, property, accepted prefixes, reason). The MongoDB reason is the driver's,
# as Upstash's docs show it (without its closing quote); the JDBC one is the emulator's.
CONNECTION_RULES = (
    ("mongodb", "connection.uri", ("mongodb://", "mongodb+srv://"),
     "The connection string is invalid. Connection strings must start with either 'mongodb://' or 'mongodb+srv://"),
    (".jdbc.", "connection.url", ("jdbc:",), "The connection URL is invalid. It must start with 'jdbc:'"),
)


def configuration_error(properties):
    """Why Kafka Connect would refuse these properties, or "" when it would start the connector."""
    connector_class = properties.get("connector.class", "").lower()
    problems = ["Invalid value %s for configuration %s: %s\n" % (properties[key], key, reason)
                for class_fragment, key, prefixes, reason in CONNECTION_RULES
                if class_fragment in connector_class and not properties.get(key, prefixes[0]).startswith(prefixes)]
    if not problems:
        return ""
    return "Connector configuration is invalid and contains the following %d error(s):\n%s" % (
        len(problems), "".join(problems))


def topics_of(properties):
    for key in ("topics", "kafka.topic"):
        topics = [topic.strip() for topic in properties.get(key, "").split(",") if topic.strip()]
        if topics:
            return topics
    return []


JSON_KINDS = {dict: "an object", list: "an array", type(None): "null"}


def as_config(properties):
    """Properties as Kafka Connect keeps them, every value a string: a number or boolean becomes its JSON text
    (1, true). ValueError for an object, an array or null, which a configuration of strings cannot hold."""
    config = {}
    for key, value in properties.items():
        if not isinstance(value, str):
            if type(value) in JSON_KINDS:
                raise ValueError("the value of property %s must be a string, not %s" % (key, JSON_KINDS[type(value)]))
            value = json.dumps(value)
        config[key] = value
    return config


def task_count(properties):
    try:
        return max(1, min(int(properties.get("tasks.max", 1)), 16))
    except (TypeError, ValueError):
        return 1


class Catalog:
    """The clusters and connectors, changed by the API's mutation calls, with every answer kept as bytes.

    Reading a listing of 20,000 connectors costs only a socket write: each connector's JSON is built once
    and rebuilt only when that connector changes. A connector that is (re)starting stays pending for
    pending_seconds, then settles to running or, with an invalid configuration, failed. restore() brings
    back the data the emulator started with.
    """

    def __init__(self, data, pending_seconds=1.0, clock=time.monotonic):
        self.pending_seconds = pending_seconds
        self._clock = clock
        self._lock = threading.RLock()
        self.clusters_body = _to_json([entry[0] for entry in data])
        self._cluster_names = dict((cluster["cluster_id"], cluster["name"]) for cluster, _connectors in data)
        ids, bodies = {}, {}
        for cluster, connectors in data:
            ids[cluster["cluster_id"]] = []
            for connector in connectors:
                if connector["connector_id"] in bodies:
                    raise ValueError("duplicate connector id %s" % connector["connector_id"])
                bodies[connector["connector_id"]] = _to_json(connector)
                ids[cluster["cluster_id"]].append(connector["connector_id"])
        self._pristine = (ids, bodies)
        self._first_cluster = data[0][0]["cluster_id"]
        self._changed = True
        self.restore()

    def restore(self):
        """Back to the data the emulator started with."""
        with self._lock:
            if not self._changed:
                return
            ids, bodies = self._pristine
            self._ids = dict((cluster_id, list(members)) for cluster_id, members in ids.items())
            self._bodies = dict(bodies)
            self._lists = {}
            # connector id -> monotonic time it settles
            self._settling = {}
            self._changed = False

    # -- reading ------------------------------------------------------------------------------------

    def _settle(self):
        now = self._clock()
        for connector_id, due in list(self._settling.items()):
            if due <= now:
                del self._settling[connector_id]
                connector = self._load(connector_id)
                error = configuration_error(connector.get("properties") or {})
                self._set_state(connector, "failed" if error else "running", error)
                self._store(connector)

    def connector_list(self, cluster_id):
        """The JSON listing of a cluster's connectors, or None for an unknown cluster."""
        with self._lock:
            self._settle()
            members = self._ids.get(cluster_id)
            if members is None:
                return None
            listing = self._lists.get(cluster_id)
            if listing is None:
                # Joining the already-encoded items gives the same bytes as dumping the list, at half the cost.
                listing = self._lists[cluster_id] = b"[" + b", ".join(self._bodies[member] for member in members) + b"]"
            return listing

    def connector(self, connector_id):
        """The JSON of one connector, or None for an unknown id."""
        with self._lock:
            self._settle()
            return self._bodies.get(connector_id)

    def listing_for(self, path):
        """The connector list a path names, or the first cluster's: the payload that faults distort."""
        found = None
        if path.startswith(CONNECTORS_PREFIX):
            found = self.connector_list(unquote(path[len(CONNECTORS_PREFIX):]))
        return found if found is not None else self.connector_list(self._first_cluster)

    # -- changing -----------------------------------------------------------------------------------

    def _load(self, connector_id):
        return json.loads(self._bodies[connector_id].decode("utf-8"))

    def _store(self, connector):
        self._bodies[connector["connector_id"]] = _to_json(connector)
        self._lists.pop(connector["cluster_id"], None)
        self._changed = True

    @staticmethod
    def _set_state(connector, state, error=""):
        connector["state"] = state
        connector["state_error_message"] = error
        # As Upstash's docs show it, a configuration Kafka Connect refuses never gets as far as a worker state or
        # tasks, and the connector keeps the TTL it got when it was pending.
        started = state != "pending" and not error
        worker_state = WORKER_STATES[state] if started else ""
        connector["connector_state"] = worker_state
        tasks = task_count(connector.get("properties") or {}) if started else 0
        connector["tasks"] = [_task(number, worker_state) for number in range(tasks)]
        if state == "pending":
            connector["TTL"] = int(time.time()) + 1800
        elif started:
            connector["TTL"] = 0

    def _start(self, connector):
        """Pending now, settling after pending_seconds."""
        self._set_state(connector, "pending")
        self._settling[connector["connector_id"]] = self._clock() + self.pending_seconds

    def create(self, request, email):
        """(status, answer) for POST /v2/kafka/connector."""
        if not isinstance(request, dict):
            return 400, {"error": "request body must be a JSON object"}
        name, cluster_id, properties = request.get("name"), request.get("cluster_id"), request.get("properties")
        if not isinstance(name, str) or not name.strip():
            return 400, {"error": "name is required"}
        if not isinstance(cluster_id, str) or not cluster_id:
            return 400, {"error": "cluster_id is required"}
        if not isinstance(properties, dict) or not properties.get("connector.class"):
            return 400, {"error": "connector.class is missing in properties"}
        try:
            properties = as_config(properties)
        except ValueError as error:
            return 400, {"error": str(error)}
        with self._lock:
            self._settle()
            if cluster_id not in self._ids:
                return 404, {"error": "cluster not found"}
            if any(self._load(member)["name"] == name for member in self._ids[cluster_id]):
                return 400, {"error": "connector with name %s already exists" % name}
            cluster_name = self._cluster_names[cluster_id]
            connector_id = base64.urlsafe_b64encode(("%s/%s" % (cluster_name, name)).encode()).decode().rstrip("=")
            if connector_id in self._bodies:
                # Only when a name is reused across clusters that share a name prefix; keep ids unique.
                connector_id += "-%d" % len(self._bodies)
            cluster = {"cluster_id": cluster_id, "name": cluster_name}
            connector = _connector(email, cluster, connector_id, name, int(time.time()), "pending",
                                   properties["connector.class"], topics_of(properties), properties, [])
            self._start(connector)
            self._ids[cluster_id].append(connector_id)
            self._store(connector)
            return 200, connector

    def update(self, connector_id, request):
        """(status, answer) for POST /v2/kafka/update-connector/{id}: the given properties change, the others stay."""
        if not isinstance(request, dict):
            return 400, {"error": "request body must be a JSON object of properties"}
        if isinstance(request.get("properties"), dict):
            return 400, {"error": "send the properties to change as the body itself, not wrapped in \"properties\""}
        try:
            changes = as_config(request)
        except ValueError as error:
            return 400, {"error": str(error)}
        with self._lock:
            self._settle()
            if connector_id not in self._bodies:
                return 404, {"error": "connector not found"}
            connector = self._load(connector_id)
            properties = dict(connector.get("properties") or {})
            properties.update(changes)
            if not properties.get("connector.class"):
                return 400, {"error": "connector.class is missing in properties"}
            connector["properties"] = properties
            connector["connector_class"] = properties["connector.class"]
            connector["topics"] = topics_of(properties) or connector.get("topics") or []
            # Kafka Connect keeps a paused connector paused across a reconfiguration.
            if connector["state"] != "paused":
                self._start(connector)
            self._store(connector)
            return 200, connector

    def delete(self, connector_id):
        with self._lock:
            if connector_id not in self._bodies:
                return 404, {"error": "connector not found"}
            connector = self._load(connector_id)
            self._ids[connector["cluster_id"]].remove(connector_id)
            del self._bodies[connector_id]
            self._settling.pop(connector_id, None)
            self._lists.pop(connector["cluster_id"], None)
            self._changed = True
            return 200, "OK"

    def act(self, connector_id, action):
        """(status, answer) for POST /v2/kafka/connector/{id}/pause, /start or /restart."""
        with self._lock:
            self._settle()
            if connector_id not in self._bodies:
                return 404, {"error": "connector not found"}
            connector = self._load(connector_id)
            state = connector["state"]
            if action == "pause":
                self._settling.pop(connector_id, None)
                self._set_state(connector, "paused")
            elif action == "start" and state == "paused":
                self._start(connector)
            elif action == "restart" and state != "paused":
                self._start(connector)
            self._store(connector)
            return 200, "OK"


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


# Modes whose fault can also come after the request was carried out (option "processed"): the answer is
# lost on the way back, so the client cannot tell whether its POST or DELETE took effect.
PROCESSED_MODES = ("status", "drop")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


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
    method = spec.get("method")
    if method is not None and method not in METHODS:
        raise ValueError("method must be one of: " + ", ".join(METHODS))
    processed = spec.get("processed", False)
    if not isinstance(processed, bool) or (processed and mode not in PROCESSED_MODES):
        raise ValueError("processed must be true or false, and can be true only for modes " + ", ".join(PROCESSED_MODES))
    fault = {"mode": mode, "count": count, "remaining": count, "method": method, "processed": processed}
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

    def record(self, method, path, has_authorization, user_agent, body_keys=None):
        with self._lock:
            self.requests += 1
            self.by_path[path] = self.by_path.get(path, 0) + 1
            self.log.append({"method": method, "path": path, "authorization": has_authorization,
                             "user_agent": user_agent, "body_keys": body_keys})

    def set_fault(self, fault):
        with self._lock:
            self.fault = fault

    def take_fault(self, method):
        """The fault for this request, if any, counting it against the remaining budget."""
        with self._lock:
            fault = self.fault
            if fault is None or fault["method"] not in (None, method):
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


def _found(body, missing):
    return (404, _error_body(missing)) if body is None else (200, body)


def _mutation(request, change, *args):
    """(status, body) of a mutation call; a body that is not JSON is refused before anything changes."""
    if request is ValueError:
        return 400, _error_body("request body is not valid JSON")
    status, answer = change(*args)
    return status, _to_json(answer)


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
            self._serve_api(path, body)
        elif path.startswith(CONTROL_PREFIX):
            self._serve_control(path, body)
        else:
            self._send_json(404, {"error": "not found"})

    # -- the emulated API -------------------------------------------------------------------------

    def _serve_api(self, path, body):
        try:
            request = json.loads(body.decode("utf-8")) if body else None
        except (ValueError, UnicodeDecodeError):
            request = ValueError
        self.server.state.record(self.command, path, "Authorization" in self.headers,
                                 self.headers.get("User-Agent", "")[:200],
                                 sorted(request) if isinstance(request, dict) else None)
        fault = self.server.state.take_fault(self.command)
        # Faults come before auth: they stand for proxies and outages in front of the real service,
        # unless the fault is one that strikes on the way back, after the service acted.
        if fault is not None and not fault["processed"] and self._apply_fault(fault, path):
            return
        if not self._authorized():
            self._send(401, _error_body("Unauthorized"), headers=[("WWW-Authenticate", 'Basic realm="upstash"')])
            return
        status, answer, headers = self._route_api(path, request)
        if fault is not None and fault["processed"] and self._apply_fault(fault, path):
            return
        self._send(status, answer, headers=headers)

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

    def _route_api(self, path, request):
        """(status, body, headers) of the API's answer; mutation calls change the catalog."""
        catalog = self.server.catalog
        target = unquote(path.split("/", 4)[-1])
        connector_id, _slash, action = target.partition("/")
        reading = ("GET", "HEAD")
        if path == CLUSTERS_PATH:
            methods, answer, args = reading, _found, (catalog.clusters_body, None)
        elif path.startswith(CONNECTORS_PREFIX):
            methods, answer, args = reading, _found, (catalog.connector_list(target), "cluster not found")
        elif path == CREATE_PATH:
            methods, answer, args = ("POST",), _mutation, (request, catalog.create, request, self._email())
        elif path.startswith(UPDATE_PREFIX):
            methods, answer, args = ("POST",), _mutation, (request, catalog.update, target, request)
        elif path.startswith(CONNECTOR_PREFIX) and not action and self.command == "DELETE":
            methods, answer, args = reading + ("DELETE",), _mutation, (request, catalog.delete, connector_id)
        elif path.startswith(CONNECTOR_PREFIX) and not action:
            methods, answer, args = reading + ("DELETE",), _found, (catalog.connector(connector_id), "connector not found")
        elif path.startswith(CONNECTOR_PREFIX) and action in CONNECTOR_ACTIONS:
            methods, answer, args = ("POST",), _mutation, (request, catalog.act, connector_id, action)
        else:
            return 404, _error_body("not found"), ()
        if self.command not in methods:
            return 405, _error_body("method not allowed"), [("Allow", ", ".join(methods))]
        status, body = answer(*args)
        return status, body, ()

    def _email(self):
        return self.server.credentials.split(b":", 1)[0].decode("utf-8")

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
        self.server.catalog.restore()
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


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number" % text)
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError("must be from 0 to 3600 seconds")
    return value


def _port(text):
    value = _non_negative(text)
    if value > 65535:
        raise argparse.ArgumentTypeError("must be at most 65535")
    return value


HELP_EPILOG = """\
sample data (each connector's customer_id is --email):
  cluster prod-events, id 7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01: mongo-sink running, pg-source failed,
    s3-archive paused, es-sink running with a failed task (and properties_encrypted, user_password)
  cluster staging, id staging_cluster-02: http-source pending, legacy-sink running with null details
  cluster empty, id e0e0e0e0-0000-4000-8000-000000000003: no connector
  --big-cluster-size N: cluster big, id big-cluster, with connectors big-connector-000001 to N
    (ids the same as the names), every 100th failed
  --extra-clusters N: clusters extra-01..., ids extra-cluster-01..., each with orders-sink running,
    clicks-source failed and orders-archive paused

what the emulator assumes (neither Upstash's docs nor its Terraform provider settle it):
  - an error answers {"error": "<reason>"}: 401 for wrong credentials, 404 for an unknown cluster id,
    connector id or path, 405 for a method a path does not take, 400 for a request refused
  - create refuses a missing name, cluster_id or connector.class, a name the cluster already has, and
    property values that are objects, arrays or null; numbers and booleans are kept as strings
  - reconfigure refuses the same values and a body wrapped in {"properties": ...}, storing nothing
  - create and reconfigure answer with the whole connector, properties included; properties_encrypted
    is an opaque string (the provider reads a string, what it holds is not documented)
  - a created, reconfigured, started or restarted connector is pending for --pending-seconds, then
    running, or failed when Kafka Connect would refuse its configuration (only a MongoDB
    connection.uri and a JDBC connection.url are checked)
  - connector_state and the tasks' states are Kafka Connect's, in upper case (RUNNING, FAILED, PAUSED);
    connector_state is empty while pending; TTL is 0 once a connector runs or is paused
  - pause is immediate; start acts only on a paused connector and restart only on one that is not
    (restarting a paused connector leaves it paused); a paused connector stays paused when
    reconfigured; delete removes a connector at once
  - listings keep creation order, without pagination or rate limits (see the rate_limit fault)
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Emulator of the Upstash Developer API v2 (Kafka).", epilog=HELP_EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=_port, default=0, help="port to listen on, 0 for a free one (default: 0)")
    parser.add_argument("--email", default=os.environ.get("UPSTASH_EMAIL") or "demo@example.com",
                        help="user name for basic auth (default: $UPSTASH_EMAIL, else demo@example.com)")
    parser.add_argument("--api-key", default=os.environ.get("UPSTASH_API_KEY") or "emulator-demo-key",
                        help="password for basic auth (default: $UPSTASH_API_KEY, else emulator-demo-key)")
    parser.add_argument("--big-cluster-size", type=_non_negative, default=0, metavar="N",
                        help="add cluster big (id big-cluster) with N connectors (default: 0)")
    parser.add_argument("--extra-clusters", type=_non_negative, default=0, metavar="N",
                        help="add clusters extra-01... (ids extra-cluster-01...) with 3 connectors each (default: 0)")
    parser.add_argument("--pending-seconds", type=_seconds, default=1.0, metavar="S",
                        help="how long a created, reconfigured, started or restarted connector stays pending (default: 1)")
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
    catalog = Catalog(sample_data(args.email, args.big_cluster_size, args.extra_clusters), args.pending_seconds)
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
