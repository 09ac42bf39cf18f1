# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The connector module's body: what it plans, sends, reports and refuses, the API mocked at the requests layer."""

from __future__ import annotations

import time

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.upstash.cloud.plugins.module_utils import _lifecycle
from ansible_collections.upstash.cloud.plugins.module_utils._api import UpstashError
from ansible_collections.upstash.cloud.plugins.module_utils._lifecycle import CONNECTOR, as_configuration, plan_properties, plan_running
from ansible_collections.upstash.cloud.plugins.module_utils._module import Task, answer

API = "http://127.0.0.1:9"
KEY = "Qm4t-77aa-Lc9e-0d3f"
LIST_URL = API + "/v2/kafka/connectors/k1"
ONE_URL = API + "/v2/kafka/connector/c-1"
CREATE, UPDATE, READ = ("POST", "/v2/kafka/connector"), ("POST", "/v2/kafka/update-connector/c-1"), ("GET", "/v2/kafka/connector/c-1")
PAUSE, DELETE = ("POST", "/v2/kafka/connector/c-1/pause"), ("DELETE", "/v2/kafka/connector/c-1")
LIST = ("GET", "/v2/kafka/connectors/k1")
PROPERTIES = {"connector.class": "io.example.Sink", "topics": "orders", "tasks.max": "1", "db.password": "Old-Pass-71"}


def connector(state="running", **properties):
    return {"connector_id": "c-1", "name": "orders", "cluster_id": "k1", "state": state, "properties": dict(PROPERTIES, **properties)}


def run(check_mode=False, diff=False, progress=None, **args):
    """The module's answer to a task with these options, as both ways of running it give it."""
    options = dict(email="ops@example.com", api_key=KEY, api_url=API, retries=0, name="orders", cluster_id="k1")
    options.update(args)
    options = dict((name, value) for name, value in options.items() if value is not None)
    validation = ArgumentSpecValidator(CONNECTOR.argument_spec(), **CONNECTOR.rules).validate(options)
    assert not validation.error_messages
    return answer(CONNECTOR, validation.validated_parameters, Task(check_mode=check_mode, diff=diff, progress=progress))


@pytest.mark.parametrize("properties, outcome", [
    ({"tasks.max": 1, "on": True, "off": False, "ratio": 0.5, "topics": "t"}, {"tasks.max": "1", "on": "true", "off": "false", "ratio": "0.5", "topics": "t"}),
    ({"topics": "t", "x": None}, "Invalid property 'x': Kafka Connect configuration maps names (strings) to strings, numbers or booleans, "
                                 "and this value is null."),
    ({"x": ["a"]}, "Invalid property 'x': Kafka Connect configuration maps names (strings) to strings, numbers or booleans, and this value is list."),
    ({"x": {"a": "b"}}, "Invalid property 'x': Kafka Connect configuration maps names (strings) to strings, numbers or booleans, and this value is dict."),
    ({"x": float("inf")}, "Invalid property 'x': Kafka Connect configuration maps names (strings) to strings, numbers or booleans, "
                          "and this value is a non-finite number."),
])
def test_properties_are_sent_string_to_string(properties, outcome):
    try:
        assert as_configuration(properties) == outcome
    except UpstashError as exc:
        assert str(exc) == outcome


@pytest.mark.parametrize("wanted, current, update_secrets, sent", [
    ({"tasks.max": "2", "topics": "orders", "new": "x"}, PROPERTIES, "always", {"tasks.max": "2", "new": "x"}),
    ({"tasks.max": "1"}, None, "always", {"tasks.max": "1"}),
    ({"tasks.max": "1"}, {"tasks.max": 1}, "always", {}),
    ({"db.password": "Old-Pass-71"}, PROPERTIES, "always", {}),
    ({"db.password": "New-Pass-72", "uri": "mongodb://u:Pw-2@h/x"}, {"db.password": "********", "uri": "mongodb://u:********@h/x"}, "always",
     {"db.password": "New-Pass-72", "uri": "mongodb://u:Pw-2@h/x"}),
    ({"db.password": "New-Pass-72", "uri": "mongodb://u:Pw-2@h/x", "topics": "new"}, PROPERTIES, "on_create", {"topics": "new"}),
])
def test_only_the_properties_that_differ_are_sent(wanted, current, update_secrets, sent):
    assert plan_properties(wanted, current, update_secrets) == sent


@pytest.mark.parametrize("running_state, state, call", [
    (None, "failed", None), (None, "paused", None), ("running", "running", None), ("running", "pending", None),
    ("running", "paused", "start"), ("running", "failed", "restart"), ("paused", "paused", None), ("paused", "running", "pause"),
    ("paused", "pending", "pause"), ("restarted", "running", "restart"), ("restarted", "paused", "restart"),
])
def test_the_running_state_takes_at_most_one_call(running_state, state, call):
    assert plan_running(running_state, state) == call


@pytest.mark.parametrize("listing, args, calls, changed", [
    ([], dict(properties={"connector.class": "io.example.Sink", "tasks.max": 1}),
     [LIST, (CREATE + ({"name": "orders", "cluster_id": "k1", "properties": {"connector.class": "io.example.Sink", "tasks.max": "1"}},)), READ], True),
    ([], dict(properties={"connector.class": "io.example.Sink"}, running_state="paused"),
     [LIST, CREATE + ({"name": "orders", "cluster_id": "k1", "properties": {"connector.class": "io.example.Sink"}},), PAUSE, READ], True),
    ([connector()], dict(properties={"tasks.max": 2, "topics": "orders"}), [LIST, UPDATE + ({"tasks.max": "2"},), READ], True),
    ([connector("failed")], dict(properties={"tasks.max": "2"}, running_state="running"), [LIST, UPDATE + ({"tasks.max": "2"},), READ], True),
    ([connector()], dict(properties={"tasks.max": 2}, running_state="paused"), [LIST, UPDATE + ({"tasks.max": "2"},), PAUSE, READ], True),
    ([connector()], dict(properties={"tasks.max": True, "topics": "orders"}, check_mode=True), [LIST], True),
    ([connector()], dict(properties={"tasks.max": 1}, running_state="running"), [LIST], False),
    ([connector()], dict(), [LIST], False),
])
def test_one_call_per_difference_then_the_connector_read_back(api, sent, listing, args, calls, changed):
    api.get(LIST_URL, json=listing)
    api.post(API + CREATE[1], json=connector("pending"))
    api.post(API + UPDATE[1], json=connector("pending"))
    api.post(API + PAUSE[1], json="OK")
    api.get(ONE_URL, json=connector("paused"))
    result = run(**args)
    assert [call + (None,) * (3 - len(call)) for call in calls] == sent()
    assert result.get("failed") is None and result["changed"] is changed
    assert result["connector"]["name"] == "orders"


@pytest.mark.parametrize("args, message, requests", [
    (dict(cluster_id=None), "A connector name needs cluster_id or cluster_name to say which cluster it is in.", 0),
    (dict(name=None), "Give the connector's name (with cluster_id or cluster_name) or its connector_id.", 0),
    (dict(name=" "), "Invalid name: it must be a non-empty string.", 0),
    (dict(connector_id="a b"), "Invalid connector_id 'a b': it must be a non-empty string of letters, digits, '-' and '_'.", 0),
    (dict(wait_timeout=0), "Invalid wait_timeout 0.0: it must be a number of seconds greater than 0 and at most 3600.", 0),
    (dict(properties={"topics": "t", "x": None}), "Invalid property 'x': ", 0),
    (dict(), "Kafka connector 'orders' does not exist; creating it needs name, cluster_id or cluster_name, and properties.", 1),
    (dict(properties={"topics": "t"}), "Creating Kafka connector 'orders' needs the connector.class property.", 1),
])
def test_unusable_tasks_fail_before_any_change(api, args, message, requests):
    api.get(LIST_URL, json=[])
    result = run(**args)
    assert result["failed"] is True and result["changed"] is False and result["msg"].startswith(message)
    assert len(api.calls) == requests


@pytest.mark.parametrize("args, disagreement", [
    (dict(name="other"), "its name is 'orders', not 'other'"),
    (dict(name=None, cluster_id="k2"), "its cluster is 'k1', not 'k2'"),
    (dict(name=None, cluster_id=None, cluster_name="staging"), "its cluster is 'k1', not 'staging (k2)'"),
    (dict(name="other", cluster_id="k2"), "its name is 'orders', not 'other'; its cluster is 'k1', not 'k2'"),
])
def test_a_connector_id_that_disagrees_with_name_or_cluster_fails_before_any_change(api, sent, args, disagreement):
    api.get(ONE_URL, json=connector())
    api.get(API + "/v2/kafka/clusters", json=[{"cluster_id": "k1", "name": "prod"}, {"cluster_id": "k2", "name": "staging"}])
    result = run(connector_id="c-1", state="absent", **args)
    assert result["msg"] == "Kafka connector 'c-1' does not match the task: %s; nothing was changed." % disagreement
    assert result["changed"] is False and set(method for method, path, body in sent()) == {"GET"}


@pytest.mark.parametrize("listing, answers, args, expected", [
    ([], [(CREATE, {"name": "orders"})], dict(properties=PROPERTIES), dict(
        failed=True, changed=True, status=200,
        msg="The API's answer for the new connector 'orders' has no connector_id; it is not a connector as the API describes one.")),
    ([], [(CREATE, "OK")], dict(properties=PROPERTIES), dict(failed=True, changed=True, msg=(
        "The API's answer for the new connector 'orders' is not a JSON object; it is not a connector as the API describes one."))),
    ([connector()], [(UPDATE, "OK"), (READ, connector(**{"tasks.max": "2"}))], dict(properties={"tasks.max": 2}), dict(failed=None, changed=True)),
    ([connector()], [(UPDATE, {"unexpected": 1}), (READ, connector())], dict(properties={"tasks.max": 2}), dict(failed=None, changed=True)),
    ([connector()], [(UPDATE, "OK"), (READ, dict(connector(), properties=["a"]))], dict(properties={"tasks.max": 2}), dict(
        failed=True, changed=True, status=200,
        msg="The API's answer for connector 'c-1' has properties that are not a JSON object; it is not a connector as the API describes one.")),
    ([connector()], [(UPDATE, "OK"), (PAUSE, 500)], dict(properties={"tasks.max": 2}, running_state="paused"), dict(failed=True, changed=True, status=500)),
    ([{"name": "orders", "state": "running"}], [], dict(state="absent"), dict(failed=True, changed=False, msg=(
        "The API's answer for the connector named 'orders' has no connector_id; it is not a connector as the API describes one."))),
    ([dict(connector(), connector_id="c/1")], [], dict(state="absent"), dict(failed=True, changed=False, msg=(
        "The API's answer for the connector named 'orders' has an unusable connector_id (Invalid connector_id 'c/1': it must be a non-empty "
        "string of letters, digits, '-' and '_'.); it is not a connector as the API describes one."))),
])
def test_answers_of_an_unexpected_shape_are_one_sentence_and_a_confirmed_change_is_reported(api, listing, answers, args, expected):
    api.get(LIST_URL, json=listing)
    for (method, path), body in answers:
        api.add(method, API + path, **(dict(status=body, json={"error": "down"}) if isinstance(body, int) else dict(json=body)))
    result = run(**args)
    assert dict((key, result.get(key)) for key in expected) == expected


@pytest.mark.parametrize("args, listing, delete_status, calls, changed", [
    (dict(), [connector()], 200, [LIST, DELETE], True),
    (dict(), [connector()], 404, [LIST, DELETE], False),  # deleted meanwhile: absent all the same
    (dict(check_mode=True), [connector()], 200, [LIST], True),
    (dict(), [], 200, [LIST], False),
    (dict(name=None, cluster_id=None, connector_id="c-1"), None, 200, [READ, ("GET", "/v2/kafka/clusters")], False),
])
def test_absent_is_reached_however_the_connector_went(api, sent, args, listing, delete_status, calls, changed):
    api.get(LIST_URL, json=listing)
    api.get(ONE_URL, status=404, json={"error": "connector not found"})
    api.get(API + "/v2/kafka/clusters", json=[])
    api.delete(ONE_URL, status=delete_status, json="OK" if delete_status == 200 else {"error": "connector not found"})
    result = run(state="absent", **args)
    assert result == dict(changed=changed, connector={})
    assert [call + (None,) for call in calls] == sent()


def test_the_diff_masks_secrets_and_shows_a_changing_one_as_changed(api):
    api.get(LIST_URL, json=[connector(**{"api.key": "Same-Key-73"})])
    result = run(properties={"tasks.max": 2, "db.password": "New-Pass-72", "api.key": "Same-Key-73"}, running_state="paused", check_mode=True, diff=True)
    shown = dict(PROPERTIES, **{"api.key": "********", "db.password": "********"})
    assert result["diff"] == dict(before=dict(properties=shown, running_state="running"), after=dict(
        properties=dict(shown, **{"tasks.max": "2", "db.password": "******** (changed)"}), running_state="paused"))
    assert result["changed"] is True and result["connector"]["properties"]["db.password"] == "********"


@pytest.fixture
def quick_polls(monkeypatch):
    monkeypatch.setattr(_lifecycle, "POLL_FIRST", 0.01)


def test_wait_polls_until_the_connector_settles_and_says_so(api, quick_polls):
    api.get(LIST_URL, json=[connector("failed")])
    api.post(ONE_URL + "/restart", json="OK")
    for state in ("pending", "restarting", "running"):
        api.get(ONE_URL, json=connector(state))
    said = []
    result = run(running_state="restarted", wait=True, progress=said.append)
    assert result["connector"]["state"] == "running" and result["changed"] is True and 0 <= result["waited"] < 5
    assert said[0] == "Waiting up to 300 s for Kafka connector 'orders': pending."
    assert [sentence.split(" after ")[0] for sentence in said[1:]] == ["Kafka connector 'orders' is restarting", "Kafka connector 'orders' is running"]


def test_a_wait_ending_failed_fails_with_the_redacted_reason(api, quick_polls):
    api.get(LIST_URL, json=[connector()])
    api.post(API + UPDATE[1], json="OK")
    api.get(ONE_URL, json=connector("pending"))
    api.get(ONE_URL, json=dict(connector("failed"), state_error_message="Invalid value\nmongodb://app:New-Pass-72@db/x for connection.uri"))
    result = run(properties={"connection.uri": "mongodb://app:New-Pass-72@db/x"}, wait=True, diff=True)
    assert result["msg"] == "Kafka connector 'orders' is failed: Invalid value mongodb://app:********@db/x for connection.uri"
    assert result["changed"] is True and result["connector"]["state"] == "failed" and "diff" in result and "waited" in result


def test_wait_timeout_bounds_the_whole_wait(api):
    api.get(LIST_URL, json=[connector("pending")])
    api.get(ONE_URL, json=connector("pending"))
    started = time.monotonic()
    result = run(wait=True, wait_timeout=0.4)
    assert time.monotonic() - started < 2
    assert result["msg"] == "Kafka connector 'orders' was still 'pending' after waiting 0.4 seconds (wait_timeout)."
    assert result["changed"] is False and 0.3 <= result["waited"] <= 1.0
