# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The emulator's connector mutations: the catalog's state machine on a fake clock, then the HTTP calls,
their errors and their faults against a running emulator."""

from __future__ import annotations

import base64
import http.client
import importlib.util
import json
import os
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SPEC = importlib.util.spec_from_file_location("upstash_emulator", os.path.join(ROOT, "emulator", "upstash_emulator.py"))
upstash_emulator = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(upstash_emulator)

EMAIL = "mutations@example.com"
API_KEY = "unit-mutations-key-4b7e"
PROD = "7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01"
EMPTY = "e0e0e0e0-0000-4000-8000-000000000003"
PG_SOURCE = "cHJvZC1ldmVudHMvcGctc291cmNl"
S3_ARCHIVE = "cHJvZC1ldmVudHMvczMtYXJjaGl2ZQ"
MONGO_SINK = "cHJvZC1ldmVudHMvbW9uZ28tc2luaw"
MONGO = {"connector.class": "com.mongodb.kafka.connect.MongoSinkConnector", "topics": "orders,refunds",
         "connection.uri": "mongodb://app:New-Pass-1@db.example.net/orders", "tasks.max": "2"}
# Upstash's own documentation shows a MongoDB URI with a scheme the driver refuses.
WRONG_SCHEME = "mongo://app:New-Pass-1@db.example.net/orders"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def catalog(clock):
    return upstash_emulator.Catalog(upstash_emulator.sample_data(EMAIL), pending_seconds=2.0, clock=clock)


def read(catalog, connector_id):
    return json.loads(catalog.connector(connector_id))


def listing(catalog, cluster_id):
    return json.loads(catalog.connector_list(cluster_id))


# --- the catalog ------------------------------------------------------------------------------------------

def test_a_new_connector_is_pending_then_running(catalog, clock):
    # Numbers and booleans are kept as Kafka Connect keeps them, as strings.
    properties = dict(MONGO, **{"tasks.max": 2, "errors.log.enable": True, "errors.retry.delay.max.ms": 0.5})
    status, created = catalog.create({"name": "orders-sink", "cluster_id": EMPTY, "properties": properties}, EMAIL)
    assert status == 200
    assert created["properties"] == dict(MONGO, **{"errors.log.enable": "true", "errors.retry.delay.max.ms": "0.5"})
    assert created["state"] == "pending" and created["tasks"] == [] and created["connector_state"] == ""
    assert created["TTL"] > 0 and created["customer_id"] == EMAIL and created["cluster_id"] == EMPTY
    assert created["topics"] == ["orders", "refunds"] and created["connector_class"] == MONGO["connector.class"]
    assert read(catalog, created["connector_id"]) == created
    assert [connector["name"] for connector in listing(catalog, EMPTY)] == ["orders-sink"]
    clock.now += 1.9
    assert read(catalog, created["connector_id"])["state"] == "pending"
    clock.now += 0.2
    running = listing(catalog, EMPTY)[0]
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


@pytest.mark.parametrize("request_body, error", [
    ({"name": "x", "cluster_id": "nope", "properties": MONGO}, "cluster not found"),
    ({"name": "x", "cluster_id": EMPTY, "properties": {"topics": "orders"}}, "connector.class is missing in properties"),
    ({"name": "x", "cluster_id": EMPTY}, "connector.class is missing in properties"),
    ({"name": "mongo-sink", "cluster_id": PROD, "properties": MONGO}, "connector with name mongo-sink already exists"),
    ({"cluster_id": EMPTY, "properties": MONGO}, "name is required"),
    ({"name": "x", "properties": MONGO}, "cluster_id is required"),
    (["x"], "request body must be a JSON object"),
    ({"name": "x", "cluster_id": EMPTY, "properties": dict(MONGO, ssl={"enabled": "true"})},
     "the value of property ssl must be a string, not an object"),
    ({"name": "x", "cluster_id": EMPTY, "properties": dict(MONGO, topics=["orders"])},
     "the value of property topics must be a string, not an array"),
    ({"name": "x", "cluster_id": EMPTY, "properties": dict(MONGO, database=None)},
     "the value of property database must be a string, not null"),
])
def test_create_refuses_what_the_api_refuses(catalog, request_body, error):
    assert catalog.create(request_body, EMAIL) == (404 if error == "cluster not found" else 400, {"error": error})
    assert len(listing(catalog, PROD)) == 4 and listing(catalog, EMPTY) == []


def test_an_update_changes_the_given_properties_keeps_the_others_and_restarts(catalog, clock):
    status, updated = catalog.update(PG_SOURCE, {"connection.password": "Pg-New-Secret", "tasks.max": "2"})
    assert status == 200 and updated["state"] == "pending"
    properties = updated["properties"]
    assert properties["connection.password"] == "Pg-New-Secret" and properties["tasks.max"] == "2"
    assert properties["connection.user"] == "shop" and properties["mode"] == "incrementing"
    clock.now += 2
    assert read(catalog, PG_SOURCE)["state"] == "running"
    assert len(read(catalog, PG_SOURCE)["tasks"]) == 2


@pytest.mark.parametrize("request_body, error", [
    ({"properties": {"connection.password": "Pg-New-Secret"}},
     'send the properties to change as the body itself, not wrapped in "properties"'),
    ({"connection.password": "Pg-New-Secret", "ssl": {"enabled": "true"}},
     "the value of property ssl must be a string, not an object"),
    (["connection.password"], "request body must be a JSON object of properties"),
])
def test_an_update_refused_stores_nothing(catalog, request_body, error):
    before = catalog.connector(PG_SOURCE)
    assert catalog.update(PG_SOURCE, request_body) == (400, {"error": error})
    assert catalog.connector(PG_SOURCE) == before


def test_an_update_to_an_invalid_configuration_ends_failed(catalog, clock):
    catalog.update(PG_SOURCE, {"connection.url": "postgresql://db.example.net:5432/shop"})
    clock.now += 2
    failed = read(catalog, PG_SOURCE)
    assert failed["state"] == "failed" and "must start with 'jdbc:'" in failed["state_error_message"]


def test_a_paused_connector_stays_paused_when_reconfigured(catalog, clock):
    status, updated = catalog.update(S3_ARCHIVE, {"flush.size": "500"})
    assert status == 200 and updated["state"] == "paused" and updated["properties"]["flush.size"] == "500"
    clock.now += 10
    assert read(catalog, S3_ARCHIVE)["state"] == "paused"


def test_pause_start_and_restart(catalog, clock):
    assert catalog.act(MONGO_SINK, "pause") == (200, "OK")
    paused = read(catalog, MONGO_SINK)
    assert paused["state"] == "paused" and {task["state"] for task in paused["tasks"]} == {"PAUSED"}
    # a paused connector is not restarted, only started
    catalog.act(MONGO_SINK, "restart")
    assert read(catalog, MONGO_SINK)["state"] == "paused"
    catalog.act(MONGO_SINK, "start")
    assert read(catalog, MONGO_SINK)["state"] == "pending"
    clock.now += 2
    assert read(catalog, MONGO_SINK)["state"] == "running"
    # start leaves a failed connector failed; restart brings it back
    catalog.act(PG_SOURCE, "start")
    assert read(catalog, PG_SOURCE)["state"] == "failed"
    catalog.act(PG_SOURCE, "restart")
    assert read(catalog, PG_SOURCE)["state"] == "pending"
    clock.now += 2
    restarted = read(catalog, PG_SOURCE)
    assert restarted["state"] == "running" and restarted["state_error_message"] == ""
    # pausing a pending connector stops it settling
    catalog.act(PG_SOURCE, "restart")
    catalog.act(PG_SOURCE, "pause")
    clock.now += 5
    assert read(catalog, PG_SOURCE)["state"] == "paused"


def test_delete_then_unknown_ids_are_not_found(catalog):
    assert catalog.delete(PG_SOURCE) == (200, "OK")
    assert catalog.connector(PG_SOURCE) is None
    assert [connector["name"] for connector in listing(catalog, PROD)] == ["mongo-sink", "s3-archive", "es-sink"]
    for answer in (catalog.delete(PG_SOURCE), catalog.update(PG_SOURCE, {}), catalog.act(PG_SOURCE, "restart")):
        assert answer == (404, {"error": "connector not found"})


def test_restore_brings_back_the_sample_data(catalog):
    before = catalog.connector_list(PROD)
    catalog.delete(PG_SOURCE)
    catalog.create({"name": "orders-sink", "cluster_id": EMPTY, "properties": MONGO}, EMAIL)
    catalog.restore()
    assert catalog.connector_list(PROD) == before
    assert listing(catalog, EMPTY) == []


# --- over HTTP ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def running():
    emulator = upstash_emulator.ChildEmulator("--email", EMAIL, "--api-key", API_KEY, "--pending-seconds", "0.2")
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator(running):
    running.reset()
    yield running
    running.reset()


def call(emulator, method, path, payload=None, raw=None):
    host, port = emulator.url.split("//")[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    credentials = base64.b64encode(("%s:%s" % (EMAIL, API_KEY)).encode()).decode()
    body = raw if raw is not None else (None if payload is None else json.dumps(payload))
    try:
        connection.request(method, path, body=body, headers={"Authorization": "Basic " + credentials})
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"null"), answer.getheader("Allow")
    finally:
        connection.close()


def test_the_mutation_calls_over_http(emulator):
    status, created, _allow = call(emulator, "POST", "/v2/kafka/connector",
                                   {"name": "orders-sink", "cluster_id": EMPTY, "properties": MONGO})
    assert status == 200 and created["state"] == "pending"
    connector = "/v2/kafka/connector/" + created["connector_id"]
    time.sleep(0.3)
    assert call(emulator, "GET", connector)[1]["state"] == "running"
    status, updated, _allow = call(emulator, "POST", "/v2/kafka/update-connector/" + created["connector_id"], {"tasks.max": "1"})
    assert status == 200 and updated["properties"]["tasks.max"] == "1" and updated["state"] == "pending"
    wrapped = call(emulator, "POST", "/v2/kafka/update-connector/" + created["connector_id"], {"properties": {"tasks.max": "3"}})
    assert wrapped[0] == 400 and call(emulator, "GET", connector)[1]["properties"] == updated["properties"]
    for action in ("pause", "start", "restart"):
        assert call(emulator, "POST", connector + "/" + action)[:2] == (200, "OK")
    assert call(emulator, "DELETE", connector)[:2] == (200, "OK")
    assert call(emulator, "GET", connector)[:2] == (404, {"error": "connector not found"})
    assert call(emulator, "POST", "/v2/kafka/connector", raw="name=x")[:2] == (400, {"error": "request body is not valid JSON"})
    log = emulator.stats()["requests_log"]
    assert [(entry["method"], entry["body_keys"]) for entry in log] == [
        ("POST", ["cluster_id", "name", "properties"]), ("GET", None), ("POST", ["tasks.max"]),
        ("POST", ["properties"]), ("GET", None), ("POST", None), ("POST", None), ("POST", None), ("DELETE", None),
        ("GET", None), ("POST", None)]


def test_a_fault_can_strike_only_one_method(emulator):
    emulator.fault("status", status=503, method="POST")
    assert call(emulator, "GET", "/v2/kafka/connector/" + PG_SOURCE)[0] == 200
    assert call(emulator, "POST", "/v2/kafka/connector/%s/restart" % PG_SOURCE)[0] == 503
    # the 503 came before the API: nothing was restarted
    assert call(emulator, "GET", "/v2/kafka/connector/" + PG_SOURCE)[1]["state"] == "failed"
    assert emulator.stats()["fault"] is None


def test_a_processed_fault_carries_out_the_request_and_loses_the_answer(emulator):
    emulator.fault("status", status=500, method="POST", processed=True)
    request = {"name": "orders-sink", "cluster_id": EMPTY, "properties": MONGO}
    status, answer, _allow = call(emulator, "POST", "/v2/kafka/connector", request)
    assert (status, answer) == (500, {"error": "internal error"})
    # created all the same: a client that repeats the POST meets the name already used
    assert [connector["name"] for connector in call(emulator, "GET", "/v2/kafka/connectors/" + EMPTY)[1]] == ["orders-sink"]
    assert call(emulator, "POST", "/v2/kafka/connector", request)[:2] == (400, {"error": "connector with name orders-sink already exists"})


def test_a_processed_drop_hangs_up_after_acting(emulator):
    emulator.fault("drop", method="DELETE", processed=True)
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        call(emulator, "DELETE", "/v2/kafka/connector/" + PG_SOURCE)
    assert call(emulator, "GET", "/v2/kafka/connector/" + PG_SOURCE)[0] == 404
