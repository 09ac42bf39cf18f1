# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""run_in_controller() must answer exactly as the module process does, failures, check and diff modes and masking included."""

from __future__ import annotations

import json
import warnings

import pytest
import responses

from ansible_collections.upstash.cloud.plugins.module_utils._info_module import CLUSTER_INFO, CONNECTOR_INFO
from ansible_collections.upstash.cloud.plugins.plugin_utils._module_action import run_in_controller
from ansible_collections.upstash.cloud.plugins.module_utils._connector_lifecycle import CONNECTOR
from ansible_collections.upstash.cloud.plugins.modules import upstash_kafka_cluster_info, upstash_kafka_connector, upstash_kafka_connector_info
from ansible_collections.upstash.cloud.tests.unit.plugins.controller_display import NO_LOG_MASK, as_shown

API = "http://127.0.0.1:9"
KEY = "controller-unit-key-5d1c"
CLUSTER = "prod-1"
CONNECTORS = [
    {"connector_id": "a", "name": "mongo-sink", "state": "running",
     "properties": {"connection.uri": "mongodb://app:pw1@db.example.net/x"}},
    # a server that echoes the key back in data: both places must hide it
    {"connector_id": "b", "name": "pg-source", "state": "failed", "state_error_message": "bad key " + KEY},
]
CLUSTERS = [{"cluster_id": CLUSTER, "name": "prod", "password": "cluster-pw"}]
CREDENTIALS = dict(email="ops@example.com", api_key=KEY, api_url=API)
MODULES = {
    "connector": (CONNECTOR_INFO, upstash_kafka_connector_info.main),
    "cluster": (CLUSTER_INFO, upstash_kafka_cluster_info.main),
}


def mock_api():
    responses.get(API + "/v2/kafka/connectors/" + CLUSTER, json=CONNECTORS)
    responses.get(API + "/v2/kafka/connectors/unknown", status=404, json={"error": "cluster not found"})
    responses.get(API + "/v2/kafka/clusters", json=CLUSTERS)


def both_ways(run_main, module, args):
    """(module process result, worker process result) for the same task arguments."""
    info, main = MODULES[module]
    mock_api()
    code, from_module, dummy = run_main(main, args)
    assert code == (1 if from_module.get("failed") else 0)
    # Outside a playbook AnsibleModule cannot learn its name; in a playbook both use the task's action.
    from_controller = as_shown(run_in_controller(info, args, "basic.py"))
    return from_module, from_controller


@pytest.mark.parametrize("module, args", [
    ("connector", dict(CREDENTIALS, cluster_id=CLUSTER)),
    ("connector", dict(CREDENTIALS, cluster_id=CLUSTER, fields=["name", "state_error_message"], redact=False)),
    ("connector", dict(CREDENTIALS, cluster_id=CLUSTER, name="pg-source", timeout=5, retries=0)),
    ("connector", dict(CREDENTIALS, cluster_id=CLUSTER, states=["FAILED"], fields=["name"])),
    ("connector", dict(CREDENTIALS, cluster_id=CLUSTER, states="failed")),
    ("connector", dict(CREDENTIALS, cluster_id=CLUSTER, states=[])),
    ("connector", dict(CREDENTIALS, cluster_id="unknown", retries=0)),
    ("connector", dict(CREDENTIALS, cluster_id="bad id")),
    ("connector", dict(CREDENTIALS, cluster_id=CLUSTER, cluster_name="prod")),
    ("connector", dict(CREDENTIALS, cluster_id=CLUSTER, timeout="soon")),
    ("connector", dict(CREDENTIALS, cluster_id=CLUSTER, fields="name")),
    ("connector", dict(CREDENTIALS, cluster_id=CLUSTER, no_such_option=1)),
    ("connector", dict(api_url=API, cluster_id=CLUSTER)),
    ("cluster", dict(CREDENTIALS)),
    ("cluster", dict(CREDENTIALS, name="prod", redact=False)),
    ("cluster", dict(CREDENTIALS, cluster_id=42)),
])
@responses.activate
def test_the_worker_process_answers_as_the_module_process(run_main, module, args):
    from_module, from_controller = both_ways(run_main, module, args)
    assert from_controller == from_module
    assert KEY not in json.dumps(from_controller)


@responses.activate
def test_a_key_from_the_environment_is_masked_like_one_from_the_task(run_main, monkeypatch):
    monkeypatch.setenv("UPSTASH_EMAIL", "ops@example.com")
    monkeypatch.setenv("UPSTASH_API_KEY", KEY)
    monkeypatch.setenv("UPSTASH_API_URL", API)
    from_module, from_controller = both_ways(run_main, "connector", dict(cluster_id=CLUSTER))
    assert from_controller == from_module
    assert from_controller["invocation"]["module_args"]["api_key"] == NO_LOG_MASK
    assert KEY not in json.dumps(from_controller)
    assert responses.calls[-1].request.headers["Authorization"].startswith("Basic ")


def test_validation_fails_before_any_request():
    with responses.RequestsMock() as mocked:
        result = as_shown(run_in_controller(CONNECTOR_INFO, dict(CREDENTIALS, cluster_id=CLUSTER, bogus=1),
                                            "upstash.cloud.upstash_kafka_connector_info"))
        assert not mocked.calls
    assert result["failed"] is True
    assert result["msg"].startswith("Unsupported parameters for (upstash.cloud.upstash_kafka_connector_info) module: bogus.")
    assert result["invocation"]["module_args"]["api_key"] == NO_LOG_MASK


@responses.activate
def test_invocation_can_be_left_out():
    mock_api()
    result = run_in_controller(CONNECTOR_INFO, dict(CREDENTIALS, cluster_id=CLUSTER), "m", invocation=False)
    assert "invocation" not in result and len(result["connectors"]) == 2


LIFECYCLE_SECRET = "parity-secret-6c2d"
LIFECYCLE_PROPERTIES = {"connector.class": "io.example.Sink", "db.password": LIFECYCLE_SECRET, "tasks.max": "1"}


def mock_lifecycle_api():
    existing = {"connector_id": "a", "name": "mongo-sink", "cluster_id": CLUSTER, "state": "running",
                "properties": {"connector.class": "io.example.Sink", "tasks.max": "1", "db.password": "old-pw-1"}}
    responses.get(API + "/v2/kafka/connectors/" + CLUSTER, json=[existing])
    responses.post(API + "/v2/kafka/update-connector/a", json=existing)
    responses.post(API + "/v2/kafka/connector/a/pause", json="OK")
    responses.get(API + "/v2/kafka/connector/a", json=dict(existing, state="paused"))


@pytest.mark.parametrize("args, check_mode, diff", [
    (dict(name="mongo-sink", properties=LIFECYCLE_PROPERTIES, running_state="paused"), False, True),
    (dict(name="mongo-sink", properties=LIFECYCLE_PROPERTIES, running_state="paused"), True, True),
    (dict(name="mongo-sink", running_state="paused", redact=False), False, False),
    (dict(name="mongo-sink", properties=LIFECYCLE_PROPERTIES, bogus=1), False, False),
    (dict(name="mongo-sink", properties=LIFECYCLE_PROPERTIES, cluster_name="prod"), False, False),
    (dict(properties=LIFECYCLE_PROPERTIES), False, False),
])
@responses.activate
def test_the_connector_module_answers_alike_in_both_places(run_main, args, check_mode, diff):
    args = dict(CREDENTIALS, cluster_id=CLUSTER, **args)
    mock_lifecycle_api()
    module_args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    code, from_module, out = run_main(upstash_kafka_connector.main, module_args)
    from_controller = as_shown(run_in_controller(CONNECTOR, args, "basic.py", check_mode=check_mode, diff=diff))
    assert from_controller == from_module
    # the same calls were made both times
    calls = [(call.request.method, call.request.url) for call in responses.calls]
    assert calls[:len(calls) // 2] == calls[len(calls) // 2:]
    assert LIFECYCLE_SECRET not in json.dumps(from_controller) and LIFECYCLE_SECRET not in out
    assert "old-pw-1" not in json.dumps(from_controller) or args.get("redact") is False


@responses.activate
def test_an_unexpected_error_and_warnings_come_out_alike(run_main, monkeypatch):
    from ansible_collections.upstash.cloud.plugins.module_utils import _info_module

    def broken(client, params, task):
        warnings.warn("a library had something to say", UserWarning)
        raise ZeroDivisionError("division by zero near " + KEY)

    monkeypatch.setattr(_info_module.CONNECTOR_INFO, "body", broken)
    from_module, from_controller = both_ways(run_main, "connector", dict(CREDENTIALS, cluster_id=CLUSTER))
    for result in (from_module, from_controller):
        assert result["failed"] is True
        assert result["msg"].startswith("Unexpected internal error in upstash.cloud (ZeroDivisionError: division by zero near ")
        assert KEY not in json.dumps(result)
    # Run in-process, AnsibleModule of ansible-core 2.19 and later shows warnings at once instead of returning them.
    assert from_controller["warnings"] == ["UserWarning: a library had something to say"]
    # The traceback, for -vvv; ansible-core 2.19 and later keep a module's only when tracebacks are enabled.
    assert "Traceback" in from_controller["exception"] and "broken" in from_controller["exception"]
    assert "exception" not in from_module or "broken" in str(from_module["exception"])
