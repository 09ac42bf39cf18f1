# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import types

import pytest
from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.upstash.cloud.plugins.action.upstash_kafka_cluster_info import ActionModule as ClusterAction
from ansible_collections.upstash.cloud.plugins.action.upstash_kafka_connector_info import ActionModule as ConnectorAction
from ansible_collections.upstash.cloud.plugins.module_utils._info_module import CLUSTER_INFO, CONNECTOR_INFO
from ansible_collections.upstash.cloud.plugins.plugin_utils import _module_action


def action(transport="local", become=False, async_val=0):
    """An action with only what runs_in_controller() looks at."""
    plugin = ConnectorAction.__new__(ConnectorAction)
    plugin._connection = types.SimpleNamespace(transport=transport)
    plugin._play_context = types.SimpleNamespace(become=become)
    plugin._task = types.SimpleNamespace(async_val=async_val)
    plugin._templar = types.SimpleNamespace(template=lambda value: value)
    return plugin


def test_each_action_runs_its_own_module():
    assert ConnectorAction.MODULE is CONNECTOR_INFO
    assert ClusterAction.MODULE is CLUSTER_INFO


def test_a_plain_local_task_runs_in_the_worker_process():
    assert action().runs_in_controller()


@pytest.mark.parametrize("setting", [dict(transport="ssh"), dict(become=True), dict(async_val=30)])
def test_anything_else_runs_the_module_process(setting):
    assert not action(**setting).runs_in_controller()


@pytest.mark.parametrize("value, forced", [(True, True), ("yes", True), ("false", False), (0, False)])
def test_a_variable_forces_the_module_process(value, forced):
    assert action().runs_in_controller({"upstash_module_process": value}) is not forced


@pytest.mark.parametrize("value", ["maybe", "ture", 2, ["yes"]])
def test_anything_but_a_boolean_in_the_variable_is_refused(value):
    with pytest.raises(AnsibleActionFail) as caught:
        action().runs_in_controller({"upstash_module_process": value})
    assert str(caught.value).startswith("Invalid upstash_module_process %r: it must be a boolean" % (value,))


def test_without_requests_on_the_controller_the_module_process_reports_it(monkeypatch):
    monkeypatch.setattr(_module_action, "HAS_REQUESTS", False)
    assert not action().runs_in_controller()


def test_process_environment_sets_then_restores(monkeypatch, tmp_path):
    monkeypatch.setenv("UPSTASH_EMAIL", "outer@example.com")
    monkeypatch.delenv("UPSTASH_API_URL", raising=False)
    outer = os.getcwd()
    with _module_action.process_environment({"UPSTASH_EMAIL": "task@example.com", "UPSTASH_API_URL": "http://127.0.0.1:1", "RETRIES": 3},
                                            str(tmp_path)):
        assert os.getcwd() == str(tmp_path)
        assert os.environ["UPSTASH_EMAIL"] == "task@example.com"
        assert os.environ["UPSTASH_API_URL"] == "http://127.0.0.1:1"
        assert os.environ["RETRIES"] == "3"
    assert os.environ["UPSTASH_EMAIL"] == "outer@example.com"
    assert "UPSTASH_API_URL" not in os.environ and "RETRIES" not in os.environ
    assert os.getcwd() == outer


def test_process_environment_restores_after_a_failure(monkeypatch, tmp_path):
    monkeypatch.delenv("UPSTASH_API_KEY", raising=False)
    outer = os.getcwd()
    with pytest.raises(RuntimeError):
        with _module_action.process_environment({"UPSTASH_API_KEY": "k"}, str(tmp_path)):
            raise RuntimeError("boom")
    assert "UPSTASH_API_KEY" not in os.environ
    assert os.getcwd() == outer


def test_args_arrive_as_plain_json_values():
    args = wrap_var({"cluster_id": "c-1", "fields": ["name", "state"], "timeout": 5, "validate_certs": False, "ca_path": None})
    sent = _module_action.args_as_sent(args)
    assert sent == {"cluster_id": "c-1", "fields": ["name", "state"], "timeout": 5, "validate_certs": False, "ca_path": None}
    # plain str, not a subclass that carries trust or origin
    assert {type(sent["cluster_id"]), type(sent["fields"][0])} == {str}


def test_invocation_is_reported_as_this_ansible_core_reports_it():
    # ansible-core 2.21 made it a setting, off by default; before, modules always reported it.
    if "INJECT_INVOCATION" in C.config.get_configuration_definitions():
        assert _module_action.reports_invocation({}) is False
        assert _module_action.reports_invocation({"ansible_inject_invocation": True}) is True
    else:
        assert _module_action.reports_invocation({}) is True


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
    ({"key s3cret-value": "not masked by remove_values, looked at all the same"}, True),
])
def test_only_a_part_of_the_result_that_may_hold_a_secret_goes_through_remove_values(value, held):
    assert _module_action.may_hold_secret(value, {"s3cret-value", "31337"}) is held


@pytest.mark.parametrize("value", [True, False, None, {"changed": True}, [None]])
def test_true_false_and_none_are_looked_at_as_written_out(value):
    assert _module_action.may_hold_secret(value, {"ue", "al", "on"})
    assert not _module_action.may_hold_secret(value, {"s3cret-value"})
