# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module's main() runs its definition as a module process; the rules are tested in module_utils."""

from __future__ import annotations

from ansible_collections.upstash.cloud.plugins.modules import upstash_kafka_connector_info

API = "http://127.0.0.1:9"
TASK = dict(email="ops@example.com", api_key="Tn8q-81f2-Wd4c-3b7a", api_url=API, retries=0)


def test_main_answers_with_connectors_and_summary_in_check_mode(api, run_main):
    api.get(API + "/v2/kafka/connectors/k1", json=[{"connector_id": "a", "name": "sink", "state": "running", "user_password": "Pg-User-Pass"},
                                                   {"connector_id": "b", "name": "source", "state": "FAILED"}])
    code, result, out = run_main(upstash_kafka_connector_info.main, dict(TASK, cluster_id="k1", states=["running"], _ansible_check_mode=True))
    assert (code, result["changed"]) == (0, False)
    assert result["connectors"] == [{"connector_id": "a", "name": "sink", "state": "running", "user_password": "********"}]
    assert result["summary"] == {"total": 2, "by_state": {"running": 1, "failed": 1}}
    assert "Pg-User-Pass" not in out


def test_main_fails_with_one_sentence_and_the_status(api, run_main):
    api.get(API + "/v2/kafka/connectors/k1", status=500, json={"error": "storage unavailable"})
    code, result, dummy = run_main(upstash_kafka_connector_info.main, dict(TASK, cluster_id="k1"))
    assert (code, result["status"]) == (1, 500)
    assert result["msg"] == "HTTP 500 from 127.0.0.1:9 for GET /v2/kafka/connectors/k1: storage unavailable."
