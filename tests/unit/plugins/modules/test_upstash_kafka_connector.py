# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module's main() runs its definition as a module process; the rules are tested in module_utils."""

from __future__ import annotations

from ansible_collections.upstash.cloud.plugins.modules import upstash_kafka_connector

API = "http://127.0.0.1:9"
SECRET = "Unit-Mongo-Pass-77"
PROPERTIES = {"connector.class": "com.mongodb.kafka.connect.MongoSinkConnector", "connection.uri": "mongodb://app:%s@db/orders" % SECRET, "tasks.max": 1}
CREATED = {"connector_id": "c-1", "name": "orders", "cluster_id": "k1", "state": "pending", "properties": dict(PROPERTIES, **{"tasks.max": "1"})}


def test_main_creates_a_connector_and_shows_it_redacted(api, sent, run_main):
    api.get(API + "/v2/kafka/connectors/k1", json=[])
    api.post(API + "/v2/kafka/connector", json=CREATED)
    api.get(API + "/v2/kafka/connector/c-1", json=CREATED)
    task = dict(email="ops@example.com", api_key="Lf3x-3a8d-Qe7r-94cb", api_url=API, name="orders", cluster_id="k1", properties=PROPERTIES,
                _ansible_diff=True)
    code, result, out = run_main(upstash_kafka_connector.main, task)
    assert (code, result["changed"]) == (0, True)
    assert [(method, path) for method, path, body in sent()] == [
        ("GET", "/v2/kafka/connectors/k1"), ("POST", "/v2/kafka/connector"), ("GET", "/v2/kafka/connector/c-1")]
    assert result["connector"]["properties"]["connection.uri"] == "mongodb://app:********@db/orders"
    assert result["diff"]["after"]["running_state"] == "pending"
    assert result["invocation"]["module_args"]["properties"]["connection.uri"] == "mongodb://app:********@db/orders"
    assert SECRET not in out
