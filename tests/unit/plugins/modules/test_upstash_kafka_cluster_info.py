# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import responses

from ansible_collections.upstash.cloud.plugins.modules import upstash_kafka_cluster_info

API = "http://127.0.0.1:9"
KEY = "cluster-unit-key-0c3e"
CLUSTERS = [
    {"cluster_id": "k1", "name": "prod", "region": "eu-west-1", "password": "Cluster-Pass-1", "max_partitions": 100},
    {"cluster_id": "k2", "name": "staging", "region": "us-east-1", "password": "Cluster-Pass-2"},
]


def run_module(run_main, **args):
    params = dict(email="ops@example.com", api_key=KEY, api_url=API)
    params.update(args)
    return run_main(upstash_kafka_cluster_info.main, params)


@responses.activate
def test_lists_clusters_with_passwords_redacted(run_main):
    responses.get(API + "/v2/kafka/clusters", json=CLUSTERS)
    code, result, out = run_module(run_main, _ansible_check_mode=True)
    assert code == 0 and result["changed"] is False
    assert [c["password"] for c in result["clusters"]] == ["********", "********"]
    assert result["clusters"][0]["max_partitions"] == 100
    assert "Cluster-Pass" not in out and KEY not in out


@responses.activate
def test_filters_and_raw_values(run_main):
    responses.get(API + "/v2/kafka/clusters", json=CLUSTERS)
    code, result, dummy = run_module(run_main, name="staging", redact=False)
    assert code == 0 and result["clusters"] == [CLUSTERS[1]]
    code, result, dummy = run_module(run_main, cluster_id="k1")
    assert [c["name"] for c in result["clusters"]] == ["prod"]


@responses.activate
def test_failure_is_one_message(run_main):
    responses.get(API + "/v2/kafka/clusters", status=403, json={"error": "forbidden"})
    code, result, out = run_module(run_main)
    assert code == 1 and "Authentication failed" in result["msg"] and KEY not in out
