# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The connector module as a module process, the API mocked with responses: what it sends, returns and hides."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.upstash.cloud.plugins.module_utils import _connector_lifecycle
from ansible_collections.upstash.cloud.plugins.modules import upstash_kafka_connector
from ansible_collections.upstash.cloud.tests.unit.plugins.controller_display import NO_LOG_MASK

API = "http://127.0.0.1:9"
KEY = "lifecycle-unit-key-3a8d"
CLUSTER = "prod-1"
LIST_URL = API + "/v2/kafka/connectors/" + CLUSTER
ONE_URL = API + "/v2/kafka/connector/c-1"
SECRET = "Unit-Mongo-Pass-77"
NEW_SECRET = "Unit-New-Pass-78"
PROPERTIES = {
    "connector.class": "com.mongodb.kafka.connect.MongoSinkConnector",
    "connection.uri": "mongodb://app:%s@db.example.net/orders" % SECRET,
    "topics": "orders",
    "tasks.max": "1",
}


def connector(state="running", **properties):
    return {"connector_id": "c-1", "name": "orders", "cluster_id": CLUSTER, "state": state,
            "state_error_message": "", "properties": dict(PROPERTIES, **properties)}


def run_module(run_main, **args):
    params = dict(email="ops@example.com", api_key=KEY, api_url=API, name="orders", cluster_id=CLUSTER, retries=0)
    params.update(args)
    code, result, out = run_main(upstash_kafka_connector.main, params)
    assert KEY not in out and "Traceback" not in out
    return code, result, out


def sent():
    """(method, path, JSON body) of every request the module sent."""
    return [(call.request.method, call.request.path_url, json.loads(call.request.body) if call.request.body else None)
            for call in responses.calls]


@pytest.fixture
def no_sleep(monkeypatch):
    slept = []
    monkeypatch.setattr(_connector_lifecycle.time, "sleep", slept.append)
    return slept


@responses.activate
def test_creates_a_missing_connector_and_returns_it_read_back_redacted(run_main):
    responses.get(LIST_URL, json=[])
    responses.post(API + "/v2/kafka/connector", json=connector("pending"))
    responses.get(ONE_URL, json=connector("pending"))
    code, result, out = run_module(run_main, properties=PROPERTIES)
    assert code == 0 and result["changed"] is True
    assert sent() == [
        ("GET", "/v2/kafka/connectors/" + CLUSTER, None),
        ("POST", "/v2/kafka/connector", {"name": "orders", "cluster_id": CLUSTER, "properties": PROPERTIES}),
        ("GET", "/v2/kafka/connector/c-1", None),
    ]
    assert result["connector"]["properties"]["connection.uri"] == "mongodb://app:********@db.example.net/orders"
    assert SECRET not in out


@responses.activate
def test_in_check_mode_only_reads_and_reports_the_change(run_main):
    responses.get(LIST_URL, json=[connector()])
    code, result, out = run_module(run_main, properties={"tasks.max": 2}, running_state="paused",
                                   _ansible_check_mode=True, _ansible_diff=True)
    assert code == 0 and result["changed"] is True
    assert [method for method, path, body in sent()] == ["GET"]
    assert result["diff"]["before"]["running_state"] == "running"
    assert result["diff"]["after"] == {"properties": dict(PROPERTIES, **{"tasks.max": 2, "connection.uri": "mongodb://app:********@db.example.net/orders"}),
                                       "running_state": "paused"}
    assert SECRET not in out


@responses.activate
def test_sends_only_the_properties_that_differ_then_reads_back(run_main):
    responses.get(LIST_URL, json=[connector()])
    responses.post(API + "/v2/kafka/update-connector/c-1", json=connector("pending", **{"tasks.max": "2"}))
    responses.get(ONE_URL, json=connector("pending", **{"tasks.max": "2"}))
    code, result, dummy = run_module(run_main, properties=dict(PROPERTIES, **{"tasks.max": 2, "topics": "orders"}))
    assert code == 0 and result["changed"] is True
    assert sent()[1] == ("POST", "/v2/kafka/update-connector/c-1", {"tasks.max": 2})
    assert result["connector"]["properties"]["tasks.max"] == "2"


@pytest.mark.parametrize("args", [
    dict(properties=dict(PROPERTIES, **{"tasks.max": 1})),
    dict(properties={"topics": "orders"}, running_state="running"),
    dict(running_state="running"),
    dict(),
])
@responses.activate
def test_nothing_to_do_sends_nothing(run_main, args):
    responses.get(LIST_URL, json=[connector()])
    code, result, dummy = run_module(run_main, **args)
    assert code == 0 and result["changed"] is False
    assert len(responses.calls) == 1
    assert result["connector"]["name"] == "orders"


@pytest.mark.parametrize("update_secrets, sent_again", [("always", True), ("on_create", False)])
@responses.activate
def test_secrets_the_api_returns_masked_follow_update_secrets(run_main, update_secrets, sent_again):
    masked = connector(**{"connection.uri": "mongodb://app:********@db.example.net/orders", "db.password": "********"})
    responses.get(LIST_URL, json=[masked])
    responses.post(API + "/v2/kafka/update-connector/c-1", json=masked)
    responses.get(ONE_URL, json=masked)
    wanted = dict(PROPERTIES, **{"db.password": NEW_SECRET})
    code, result, out = run_module(run_main, properties=wanted, update_secrets=update_secrets)
    assert code == 0 and result["changed"] is sent_again
    posts = [body for method, path, body in sent() if method == "POST"]
    assert posts == ([{"connection.uri": PROPERTIES["connection.uri"], "db.password": NEW_SECRET}] if sent_again else [])
    assert SECRET not in out and NEW_SECRET not in out


@responses.activate
def test_absent_deletes_once(run_main):
    responses.get(LIST_URL, json=[connector()])
    responses.delete(ONE_URL, json="OK")
    code, result, dummy = run_module(run_main, state="absent")
    assert code == 0 and result == dict(result, changed=True, connector={})
    assert sent()[1] == ("DELETE", "/v2/kafka/connector/c-1", None)

    responses.calls.reset()
    responses.replace(responses.GET, LIST_URL, json=[])
    code, result, dummy = run_module(run_main, state="absent")
    assert code == 0 and result["changed"] is False and len(responses.calls) == 1


@responses.activate
def test_a_missing_connector_id_is_nothing_to_delete(run_main):
    responses.get(ONE_URL, status=404, json={"error": "connector not found"})
    code, result, dummy = run_module(run_main, name=None, cluster_id=None, connector_id="c-1", state="absent")
    assert code == 0 and result["changed"] is False


@pytest.mark.parametrize("running_state, state, call", [
    ("paused", "running", "pause"),
    ("running", "paused", "start"),
    ("running", "failed", "restart"),
    ("restarted", "running", "restart"),
])
@responses.activate
def test_running_state_sends_the_one_call_needed(run_main, running_state, state, call):
    responses.get(LIST_URL, json=[connector(state)])
    responses.post(ONE_URL + "/" + call, json="OK")
    responses.get(ONE_URL, json=connector("pending"))
    code, result, dummy = run_module(run_main, running_state=running_state)
    assert code == 0 and result["changed"] is True
    assert [(method, path) for method, path, body in sent()][1:] == [("POST", "/v2/kafka/connector/c-1/" + call), ("GET", "/v2/kafka/connector/c-1")]


@responses.activate
def test_a_failed_connector_given_new_properties_is_not_restarted_twice(run_main):
    responses.get(LIST_URL, json=[connector("failed")])
    responses.post(API + "/v2/kafka/update-connector/c-1", json=connector("pending"))
    responses.get(ONE_URL, json=connector("pending"))
    code, result, dummy = run_module(run_main, properties={"tasks.max": "2"}, running_state="running")
    assert code == 0
    assert [path for method, path, body in sent() if method == "POST"] == ["/v2/kafka/update-connector/c-1"]


@responses.activate
def test_wait_polls_until_running(run_main, no_sleep):
    responses.get(LIST_URL, json=[connector("failed")])
    responses.post(ONE_URL + "/restart", json="OK")
    for state in ("pending", "pending", "running"):
        responses.get(ONE_URL, json=connector(state))
    code, result, dummy = run_module(run_main, running_state="restarted", wait=True)
    assert code == 0 and result["connector"]["state"] == "running"
    assert len(no_sleep) == 2 and no_sleep[0] == _connector_lifecycle.POLL_FIRST and no_sleep[1] > no_sleep[0]


@responses.activate
def test_wait_ending_failed_fails_with_the_redacted_reason(run_main, no_sleep):
    reason = "Invalid value mongo://app:%s@db.example.net/orders for configuration connection.uri" % NEW_SECRET
    responses.get(LIST_URL, json=[connector()])
    responses.post(API + "/v2/kafka/update-connector/c-1", json=connector("pending"))
    responses.get(ONE_URL, json=connector("pending"))
    responses.get(ONE_URL, json=dict(connector("failed"), state_error_message=reason))
    bad = {"connection.uri": "mongo://app:%s@db.example.net/orders" % NEW_SECRET}
    code, result, out = run_module(run_main, properties=bad, wait=True, _ansible_diff=True)
    assert code == 1 and result["changed"] is True
    assert result["msg"].startswith("Kafka connector 'orders' is failed: Invalid value mongo://app:********@db.example.net")
    assert result["connector"]["state"] == "failed" and "diff" in result
    assert NEW_SECRET not in out and SECRET not in out


@responses.activate
def test_wait_gives_up_after_wait_timeout(run_main, monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(_connector_lifecycle.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(_connector_lifecycle.time, "sleep", lambda seconds: clock.__setitem__(0, clock[0] + seconds))
    responses.get(LIST_URL, json=[connector("pending")])
    responses.get(ONE_URL, json=connector("pending"))
    code, result, dummy = run_module(run_main, wait=True, wait_timeout=3)
    assert code == 1 and result["changed"] is False
    assert result["msg"] == "Kafka connector 'orders' was still pending after waiting 3 seconds (wait_timeout)."
    assert clock[0] == 3


@pytest.mark.parametrize("args, message", [
    (dict(cluster_id=None), "A connector name needs cluster_id or cluster_name"),
    (dict(name=None), "Give the connector's name (with cluster_id or cluster_name) or its connector_id."),
    (dict(cluster_id="a/b"), "Invalid cluster_id 'a/b'"),
    (dict(connector_id="x y"), "Invalid connector_id 'x y'"),
    (dict(wait_timeout=0), "Invalid wait_timeout 0.0"),
    (dict(cluster_name="prod"), "mutually exclusive"),
    (dict(state="gone"), "value of state must be one of"),
])
def test_bad_options_fail_before_any_request(run_main, args, message):
    with responses.RequestsMock() as mocked:
        code, result, out = run_module(run_main, properties=PROPERTIES, **args)
        assert not mocked.calls
    assert code == 1 and message in result["msg"]
    # even a task refused by validation shows no secret of its properties
    assert SECRET not in out


@pytest.mark.parametrize("args, message", [
    (dict(), "Kafka connector 'orders' does not exist; creating it needs name, cluster_id or cluster_name, and properties."),
    (dict(properties={"topics": "orders"}), "Creating Kafka connector 'orders' needs the connector.class property."),
])
@responses.activate
def test_creating_needs_properties_with_a_connector_class(run_main, args, message):
    responses.get(LIST_URL, json=[])
    code, result, dummy = run_module(run_main, **args)
    assert code == 1 and result["msg"] == message and len(responses.calls) == 1


@responses.activate
def test_an_api_refusal_is_one_sentence_with_the_status(run_main):
    responses.get(LIST_URL, json=[])
    responses.post(API + "/v2/kafka/connector", status=400, json={"error": "connector with name orders already exists"})
    code, result, out = run_module(run_main, properties=PROPERTIES)
    assert code == 1 and result["changed"] is False and result["status"] == 400
    assert "connector with name orders already exists" in result["msg"]
    assert SECRET not in out


@responses.activate
def test_secrets_found_in_the_api_data_are_hidden_elsewhere_unless_too_short_to_tell(run_main):
    found = connector(**{"db.password": "Found-Pass-79", "secret.enabled": "true"})
    responses.get(LIST_URL, json=[found])
    responses.post(API + "/v2/kafka/update-connector/c-1", status=400,
                   json={"error": "refused: db.password Found-Pass-79 is in use; ssl=true"})
    code, result, out = run_module(run_main, properties={"tasks.max": "2"})
    assert code == 1 and "Found-Pass-79" not in out
    # "true" stays readable where it is not the secret value itself
    assert result["msg"].endswith("is in use; ssl=true.")


@responses.activate
def test_invocation_and_diff_never_show_secret_values(run_main):
    responses.get(LIST_URL, json=[connector()])
    responses.post(API + "/v2/kafka/update-connector/c-1", json=connector("pending"))
    responses.get(ONE_URL, json=connector("pending", **{"db.password": NEW_SECRET}))
    code, result, out = run_module(run_main, properties={"db.password": NEW_SECRET}, _ansible_diff=True)
    assert code == 0
    assert result["invocation"]["module_args"]["properties"] == {"db.password": NO_LOG_MASK}
    assert result["diff"]["after"]["properties"]["db.password"] == "********"
    assert NEW_SECRET not in out and SECRET not in out


@responses.activate
def test_redact_false_returns_what_the_api_sent_except_the_task_own_secrets(run_main):
    responses.get(LIST_URL, json=[connector(**{"db.password": NEW_SECRET})])
    code, result, out = run_module(run_main, redact=False, properties={"tasks.max": "1"})
    assert code == 0 and result["connector"]["properties"]["connection.uri"] == PROPERTIES["connection.uri"]
    assert result["connector"]["properties"]["db.password"] == NEW_SECRET
