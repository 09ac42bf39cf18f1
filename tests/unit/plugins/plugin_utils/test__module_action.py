# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where a module runs (worker or module process), and that both give the same answer, failures and masking included."""

from __future__ import annotations

import json
import os
import types
import warnings

import pytest
from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.upstash.cloud.plugins.action.upstash_kafka_cluster_info import ActionModule as ClusterInfoAction
from ansible_collections.upstash.cloud.plugins.action.upstash_kafka_connector import ActionModule as ConnectorAction
from ansible_collections.upstash.cloud.plugins.action.upstash_kafka_connector_info import ActionModule as ConnectorInfoAction
from ansible_collections.upstash.cloud.plugins.module_utils._connectors import CLUSTER_INFO, CONNECTOR_INFO
from ansible_collections.upstash.cloud.plugins.module_utils._lifecycle import CONNECTOR
from ansible_collections.upstash.cloud.plugins.module_utils._module import TASK_ENDS_VARIABLE
from ansible_collections.upstash.cloud.plugins.modules import upstash_kafka_cluster_info, upstash_kafka_connector, upstash_kafka_connector_info
from ansible_collections.upstash.cloud.plugins.plugin_utils import _module_action
from ansible_collections.upstash.cloud.plugins.plugin_utils._module_action import run_in_controller
from ansible_collections.upstash.cloud.tests.unit.plugins.controller_display import HIDDEN_MASK, NO_LOG_MASK, as_shown

API = "http://127.0.0.1:9"
KEY = "Pw5d-1c9e-Hk3s-62fa"
CLUSTER = "prod-1"
CREDENTIALS = dict(email="ops@example.com", api_key=KEY, api_url=API)
MAIN = {CONNECTOR_INFO: upstash_kafka_connector_info.main, CLUSTER_INFO: upstash_kafka_cluster_info.main, CONNECTOR: upstash_kafka_connector.main}
SECRET = "parity-secret-6c2d"
FOUND = "Found-Key-79"
EXISTING = {"connector_id": "a", "name": "test_connector2", "cluster_id": CLUSTER, "state": "running",
            "properties": {"connector.class": "io.example.Sink", "tasks.max": "1", "db.password": "test", "api.key": FOUND}}
PROPERTIES = {"connector.class": "io.example.Sink", "db.password": SECRET, "tasks.max": "1"}


def action(transport="local", become=False, async_val=0):
    """An action with only what runs_in_controller() and run() look at."""
    plugin = ConnectorInfoAction.__new__(ConnectorInfoAction)
    plugin._connection = types.SimpleNamespace(transport=transport)
    plugin._play_context = types.SimpleNamespace(become=become)
    plugin._task = types.SimpleNamespace(async_val=async_val, environment=[{"A": "1"}])
    plugin._templar = types.SimpleNamespace(template=lambda value: value)
    return plugin


def test_each_action_runs_its_own_module():
    assert (ConnectorInfoAction.MODULE, ClusterInfoAction.MODULE, ConnectorAction.MODULE) == (CONNECTOR_INFO, CLUSTER_INFO, CONNECTOR)


@pytest.mark.parametrize("setting, task_vars, in_worker", [
    (dict(), None, True), (dict(transport="ssh"), None, False), (dict(become=True), None, False), (dict(async_val=30), None, False),
    (dict(), {"upstash_module_process": True}, False), (dict(), {"upstash_module_process": "yes"}, False),
    (dict(), {"upstash_module_process": "false"}, True), (dict(), {"upstash_module_process": 0}, True),
])
def test_only_a_plain_local_task_runs_in_the_worker(setting, task_vars, in_worker):
    assert action(**setting).runs_in_controller(task_vars) is in_worker


@pytest.mark.parametrize("value", ["maybe", "ture", 2, ["yes"]])
def test_anything_but_a_boolean_in_the_variable_is_refused(value):
    with pytest.raises(AnsibleActionFail) as caught:
        action().runs_in_controller({"upstash_module_process": value})
    assert str(caught.value).startswith("Invalid upstash_module_process %r: it must be a boolean" % (value,))


def test_without_requests_on_the_controller_the_module_process_runs(monkeypatch):
    monkeypatch.setattr(_module_action, "HAS_REQUESTS", False)
    assert not action().runs_in_controller()


@pytest.mark.parametrize("timer, transport, environment", [
    (12.5, "ssh", [{"A": "1"}, {TASK_ENDS_VARIABLE: "12.500 1000.000"}]),
    (12.5, "local", [{"A": "1"}, {TASK_ENDS_VARIABLE: "12.500 1000.000 same-clock"}]),
    (0.0, "ssh", [{"A": "1"}]),
])
def test_a_module_process_is_told_when_its_task_ends(monkeypatch, timer, transport, environment):
    monkeypatch.setattr(_module_action.signal, "getitimer", lambda which: (timer, 0.0))
    monkeypatch.setattr(_module_action.time, "time", lambda: 1000.0)
    monkeypatch.setattr(_module_action.NormalAction, "run", lambda self, tmp=None, task_vars=None: dict(environment=self._task.environment))
    assert action(transport=transport, become=transport == "local").run(task_vars={}) == dict(environment=environment)


def test_process_environment_sets_then_restores_even_after_a_failure(monkeypatch, tmp_path):
    monkeypatch.setenv("UPSTASH_EMAIL", "outer@example.com")
    monkeypatch.delenv("UPSTASH_API_URL", raising=False)
    outer = os.getcwd()
    with pytest.raises(RuntimeError):
        with _module_action.process_environment({"UPSTASH_EMAIL": "task@example.com", "UPSTASH_API_URL": "http://x", "RETRIES": 3}, str(tmp_path)):
            assert (os.getcwd(), os.environ["UPSTASH_EMAIL"], os.environ["UPSTASH_API_URL"], os.environ["RETRIES"]) == (
                str(tmp_path), "task@example.com", "http://x", "3")
            raise RuntimeError("boom")
    assert os.environ["UPSTASH_EMAIL"] == "outer@example.com" and "UPSTASH_API_URL" not in os.environ and "RETRIES" not in os.environ
    assert os.getcwd() == outer


def test_args_arrive_as_plain_json_values():
    sent = _module_action.args_as_sent(wrap_var({"cluster_id": "c-1", "fields": ["name"], "timeout": 5, "validate_certs": False, "ca_path": None}))
    assert sent == {"cluster_id": "c-1", "fields": ["name"], "timeout": 5, "validate_certs": False, "ca_path": None}
    assert {type(sent["cluster_id"]), type(sent["fields"][0])} == {str}


def test_invocation_is_reported_as_this_ansible_core_reports_it():
    # ansible-core 2.21 made it a setting, off by default; before, modules always reported it.
    on_request = "INJECT_INVOCATION" in C.config.get_configuration_definitions()
    assert (_module_action.reports_invocation({}), _module_action.reports_invocation({"ansible_inject_invocation": True})) == (not on_request, True)


@pytest.mark.parametrize("value, held", [
    ({"connectors": [{"name": "a", "state": "running"}], "total": 2, "ok": True, "none": None}, False),
    ({"connectors": [{"name": "a", "trace": "said s3cret-value once"}]}, True),
    ({"by_state": {"failed": 31337}}, True),
    ({"ratio": 0.31337}, True),
    ([["deep", ["deeper", ["s3cret-value"]]]], True),
    (["s3cret", "-value"], False),
    # anything but plain JSON data goes to remove_values, which knows every type
    ({"pair": ("a", "b")}, True),
    ({"tagged": type("Tagged", (str,), {})("plain")}, True),
    ({"key s3cret-value": "keys are looked at too"}, True),
])
def test_only_a_part_of_the_result_that_may_hold_a_secret_goes_through_remove_values(value, held):
    assert _module_action.may_hold_secret(value, {"s3cret-value", "31337"}) is held


@pytest.mark.parametrize("value", [True, False, None, {"changed": True}, [None]])
def test_true_false_and_none_are_looked_at_as_written_out(value):
    assert _module_action.may_hold_secret(value, {"ue", "al", "on"}) and not _module_action.may_hold_secret(value, {"s3cret-value"})


@pytest.fixture
def both_ways(api, run_main):
    """(module process result, worker result, every request sent) for the same task."""
    api.get(API + "/v2/kafka/connectors/" + CLUSTER, json=[
        {"connector_id": "a", "name": "mongo-sink", "state": "running", "properties": {"connection.uri": "mongodb://app:pw1@db.example.net/x"}},
        {"connector_id": "b", "name": "pg-source", "state": "failed", "state_error_message": "bad key " + KEY}])
    api.get(API + "/v2/kafka/connectors/unknown", status=404, json={"error": "cluster not found"})
    api.get(API + "/v2/kafka/clusters", json=[{"cluster_id": CLUSTER, "name": "prod", "password": "cluster-pw"}])
    api.get(API + "/v2/kafka/connectors/lifecycle", json=[dict(EXISTING, cluster_id="lifecycle")])
    api.post(API + "/v2/kafka/update-connector/a", json=EXISTING)
    api.post(API + "/v2/kafka/connector/a/pause", json="OK")
    api.post(API + "/v2/kafka/connector/a/restart", status=400, json={"error": "refused: %s is in use by test_connector2" % FOUND})
    api.get(API + "/v2/kafka/connector/a", json=dict(EXISTING, cluster_id="lifecycle", state="paused"))

    def run(definition, args, check_mode=False, diff=False):
        code, from_module, dummy = run_main(MAIN[definition], dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff))
        assert code == (1 if from_module.get("failed") else 0)
        # Outside a playbook AnsibleModule cannot learn its name; in a playbook both use the task's action.
        from_worker = as_shown(run_in_controller(definition, args, "basic.py", check_mode=check_mode, diff=diff))
        calls = [(call.request.method, call.request.url) for call in api.calls]
        assert calls[:len(calls) // 2] == calls[len(calls) // 2:]
        return from_module, from_worker

    return run


LIFECYCLE = dict(CREDENTIALS, cluster_id="lifecycle", name="test_connector2")


@pytest.mark.parametrize("definition, args, check_mode, diff", [
    (CONNECTOR_INFO, dict(CREDENTIALS, cluster_id=CLUSTER), False, False),
    (CONNECTOR_INFO, dict(CREDENTIALS, cluster_id=CLUSTER, fields=["name", "state_error_message"], redact=False), True, False),
    (CONNECTOR_INFO, dict(CREDENTIALS, cluster_id=CLUSTER, states=["FAILED"], fields=["name"], timeout=5, retries=0), False, False),
    (CONNECTOR_INFO, dict(CREDENTIALS, cluster_id=CLUSTER, states=["runing"]), False, False),
    (CONNECTOR_INFO, dict(CREDENTIALS, cluster_id=CLUSTER, states=[]), False, False),
    (CONNECTOR_INFO, dict(CREDENTIALS, cluster_id="unknown", retries=0), False, False),
    (CONNECTOR_INFO, dict(CREDENTIALS, cluster_id="bad id"), False, False),
    (CONNECTOR_INFO, dict(CREDENTIALS, cluster_id=CLUSTER, cluster_name="prod"), False, False),
    (CONNECTOR_INFO, dict(CREDENTIALS, cluster_id=CLUSTER, timeout="soon"), False, False),
    (CONNECTOR_INFO, dict(CREDENTIALS, cluster_id=CLUSTER, no_such_option=1), False, False),
    (CONNECTOR_INFO, dict(api_url=API, cluster_id=CLUSTER), False, False),
    (CLUSTER_INFO, dict(CREDENTIALS), False, False),
    (CLUSTER_INFO, dict(CREDENTIALS, name="prod", redact=False), False, False),
    (CLUSTER_INFO, dict(CREDENTIALS, cluster_id=42), False, False),
    (CONNECTOR, dict(LIFECYCLE, properties=PROPERTIES, running_state="paused"), False, True),
    (CONNECTOR, dict(LIFECYCLE, properties=PROPERTIES, running_state="paused"), True, True),
    (CONNECTOR, dict(LIFECYCLE, running_state="paused", redact=False), False, False),
    (CONNECTOR, dict(LIFECYCLE, properties=PROPERTIES, bogus=1), False, False),
    (CONNECTOR, dict(LIFECYCLE, properties=PROPERTIES, cluster_name="prod"), False, False),
    (CONNECTOR, dict(LIFECYCLE, properties=PROPERTIES, name=None), False, False),
])
def test_the_worker_answers_as_the_module_process(both_ways, definition, args, check_mode, diff):
    from_module, from_worker = both_ways(definition, args, check_mode, diff)
    assert from_worker == from_module
    shown = json.dumps(from_worker)
    assert KEY not in shown and SECRET not in shown and (FOUND not in shown or args.get("redact") is False)


def test_a_secret_found_in_the_api_data_is_hidden_everywhere_but_a_short_one_only_where_it_stands(both_ways):
    from_module, from_worker = both_ways(CONNECTOR, dict(LIFECYCLE, properties={"db.password": "test"}, running_state="restarted"))
    assert from_worker == from_module
    assert from_worker["msg"].endswith("refused: %s is in use by test_connector2." % HIDDEN_MASK)
    assert from_worker["invocation"]["module_args"]["properties"] == {"db.password": "********"}


def test_a_key_from_the_environment_is_masked_like_one_from_the_task(both_ways, api, monkeypatch):
    for name, value in (("UPSTASH_EMAIL", "ops@example.com"), ("UPSTASH_API_KEY", KEY), ("UPSTASH_API_URL", API)):
        monkeypatch.setenv(name, value)
    from_module, from_worker = both_ways(CONNECTOR_INFO, dict(cluster_id=CLUSTER))
    assert from_worker == from_module and from_worker["invocation"]["module_args"]["api_key"] == NO_LOG_MASK
    assert len(from_worker["connectors"]) == 2 and api.calls[-1].request.headers["Authorization"].startswith("Basic ")


def test_validation_fails_before_any_request_naming_the_task_action(api):
    result = as_shown(run_in_controller(CONNECTOR_INFO, dict(CREDENTIALS, cluster_id=CLUSTER, bogus=1), "upstash.cloud.upstash_kafka_connector_info"))
    assert result["msg"].startswith("Unsupported parameters for (upstash.cloud.upstash_kafka_connector_info) module: bogus.")
    assert result["failed"] is True and result["invocation"]["module_args"]["api_key"] == NO_LOG_MASK and not api.calls


def test_invocation_can_be_left_out(both_ways):
    result = run_in_controller(CONNECTOR_INFO, dict(CREDENTIALS, cluster_id=CLUSTER), "m", invocation=False)
    assert "invocation" not in result and len(result["connectors"]) == 2


def test_an_unexpected_error_and_warnings_come_out_alike(both_ways, monkeypatch):
    def broken(client, params, task):
        warnings.warn("a library had something to say", UserWarning)
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(CONNECTOR_INFO, "body", broken)
    from_module, from_worker = both_ways(CONNECTOR_INFO, dict(CREDENTIALS, cluster_id=CLUSTER))
    for result in (from_module, from_worker):
        assert result["msg"].startswith("Unexpected internal error in upstash.cloud (ZeroDivisionError: division by zero); this is a bug")
        assert result["failed"] is True
    # Run in-process, AnsibleModule of ansible-core 2.19 and later shows warnings at once instead of returning them.
    assert from_worker["warnings"] == ["UserWarning: a library had something to say"]
    # The traceback, for -vvv; ansible-core 2.19 and later keep a module's only when tracebacks are enabled.
    assert "Traceback" in from_worker["exception"] and "broken" in from_worker["exception"]
    assert "exception" not in from_module or "broken" in str(from_module["exception"])
