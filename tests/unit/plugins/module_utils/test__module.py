# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A module run as a module process: the time its task has left, and what it says when it cannot run."""

from __future__ import annotations

import time
import types

import pytest

from ansible_collections.upstash.cloud.plugins.module_utils import _module
from ansible_collections.upstash.cloud.plugins.modules import upstash_kafka_connector_info

API = "http://127.0.0.1:9"
KEY = "Vb2k-5d0a-Rt6y-19e3"
TASK = dict(email="ops@example.com", api_key=KEY, api_url=API)


@pytest.mark.parametrize("said, left", [
    (None, None),
    ("soon", None),
    ("10 998", 8.0),  # said two seconds ago
    ("10 1005", 10.0),  # said in the future: the clocks differ
    ("1 990", 1.0),  # started longer ago than the time left: not trusted
    ("10 998 same-clock", 8.0),
    ("1 990 same-clock", -9.0),  # the controller's own clock: the task has ended
])
def test_the_time_left_is_what_the_action_said_less_the_start(monkeypatch, said, left):
    monkeypatch.setattr(_module, "time", types.SimpleNamespace(time=lambda: 1000.0))
    if said is None:
        monkeypatch.delenv(_module.TASK_ENDS_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(_module.TASK_ENDS_VARIABLE, said)
    assert _module.time_left_from_environment() == left


def test_a_module_process_started_after_its_task_ended_sends_nothing(api, run_main, monkeypatch):
    monkeypatch.setenv(_module.TASK_ENDS_VARIABLE, "0 %f" % time.time())
    code, result, dummy = run_main(upstash_kafka_connector_info.main, dict(TASK, cluster_id="k1"))
    assert code == 1 and result["msg"] == "The task's timeout had passed when the module process started; nothing was sent."
    assert not api.calls


def test_a_module_process_sends_nothing_after_its_task_ended(api, run_main, monkeypatch):
    def slow_clusters(request):
        time.sleep(0.5)
        return 200, {}, '[{"cluster_id": "k1"}]'

    api.add_callback("GET", API + "/v2/kafka/clusters", callback=slow_clusters)
    api.get(API + "/v2/kafka/connectors/k1", json=[])
    monkeypatch.setenv(_module.TASK_ENDS_VARIABLE, "0.3 %f" % time.time())
    code, result, dummy = run_main(upstash_kafka_connector_info.main, TASK)
    assert code == 1 and result["msg"] == "Nothing was sent for GET /v2/kafka/connectors/k1: the task's time was up."
    assert [call.request.path_url for call in api.calls] == ["/v2/kafka/clusters"]


def test_without_requests_a_module_process_says_what_to_install(api, run_main, monkeypatch):
    monkeypatch.setattr(_module, "HAS_REQUESTS", False)
    code, result, dummy = run_main(upstash_kafka_connector_info.main, dict(TASK, cluster_id="k1"))
    assert code == 1 and result["msg"].startswith("Failed to import the required Python library (requests)")
    assert not api.calls
