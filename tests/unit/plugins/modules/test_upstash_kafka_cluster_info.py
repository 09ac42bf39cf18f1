# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module's main() runs its definition as a module process; the rules are tested in module_utils."""

from __future__ import annotations

from ansible_collections.upstash.cloud.plugins.modules import upstash_kafka_cluster_info

API = "http://127.0.0.1:9"


def test_main_answers_with_the_clusters_passwords_redacted(api, run_main):
    api.get(API + "/v2/kafka/clusters", json=[{"cluster_id": "k1", "name": "prod", "password": "Cluster-Pass-1", "max_partitions": 100},
                                              {"cluster_id": "k2", "name": "staging", "password": "Cluster-Pass-2"}])
    task = dict(email="ops@example.com", api_key="Cl6r-0c3e-Yb8n-5e2d", api_url=API, name="prod", _ansible_check_mode=True)
    code, result, out = run_main(upstash_kafka_cluster_info.main, task)
    assert (code, result["changed"]) == (0, False)
    assert result["clusters"] == [{"cluster_id": "k1", "name": "prod", "password": "********", "max_partitions": 100}]
    assert "Cluster-Pass-1" not in out
