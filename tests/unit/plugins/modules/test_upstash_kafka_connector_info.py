# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
import responses

from ansible_collections.upstash.cloud.plugins.module_utils import _collection_module
from ansible_collections.upstash.cloud.plugins.modules import upstash_kafka_connector_info

API = "http://127.0.0.1:9"
KEY = "module-unit-key-81f2"
CLUSTER = "prod-1"
LIST_URL = API + "/v2/kafka/connectors/" + CLUSTER
CONNECTORS = [
    {"connector_id": "a", "name": "mongo-sink", "state": "running",
     "properties": {"connection.uri": "mongodb://app:pw1@db.example.net/x", "db.password": "pw2"}, "new_field": 1},
    {"connector_id": "b", "name": "pg-source", "state": "failed", "user_password": "pw3", "properties": None},
]


def run_module(run_main, **args):
    params = dict(email="ops@example.com", api_key=KEY, api_url=API, cluster_id=CLUSTER)
    params.update(args)
    return run_main(upstash_kafka_connector_info.main, params)


@responses.activate
def test_lists_connectors_in_api_order_redacted(run_main):
    responses.get(LIST_URL, json=CONNECTORS)
    code, result, out = run_module(run_main)
    assert code == 0
    assert result["changed"] is False
    assert [c["connector_id"] for c in result["connectors"]] == ["a", "b"]
    first = result["connectors"][0]
    assert first["new_field"] == 1
    assert first["properties"] == {"connection.uri": "mongodb://app:********@db.example.net/x", "db.password": "********"}
    assert result["connectors"][1]["user_password"] == "********"
    assert "pw1" not in out and "pw2" not in out and "pw3" not in out
    assert KEY not in out


@responses.activate
def test_redact_false_returns_raw_values(run_main):
    responses.get(LIST_URL, json=CONNECTORS)
    code, result, dummy = run_module(run_main, redact=False)
    assert code == 0
    assert result["connectors"] == CONNECTORS


@pytest.mark.parametrize("filters, expected", [
    (dict(name="pg-source"), ["b"]),
    (dict(connector_id="a"), ["a"]),
    (dict(name="pg-source", connector_id="a"), []),
    (dict(name="nothing"), []),
    (dict(states=["FAILED"]), ["b"]),
    (dict(states=["running", "paused"], name="mongo-sink"), ["a"]),
    (dict(states=["pending"]), []),
])
@responses.activate
def test_filters(run_main, filters, expected):
    responses.get(LIST_URL, json=CONNECTORS)
    code, result, dummy = run_module(run_main, **filters)
    assert code == 0
    assert [c["connector_id"] for c in result["connectors"]] == expected


@responses.activate
def test_summary_counts_the_cluster_before_filters(run_main):
    responses.get(LIST_URL, json=CONNECTORS + [dict(CONNECTORS[1], connector_id="c", state="Failed")])
    code, result, dummy = run_module(run_main, states=["failed"], fields=["name"])
    assert code == 0
    assert result["connectors"] == [{"name": "pg-source"}, {"name": "pg-source"}]
    assert result["summary"] == {"total": 3, "by_state": {"running": 1, "failed": 2}}


@responses.activate
def test_check_mode_still_reads(run_main):
    responses.get(LIST_URL, json=CONNECTORS)
    code, result, dummy = run_module(run_main, _ansible_check_mode=True)
    assert code == 0 and result["changed"] is False and len(result["connectors"]) == 2


@responses.activate
def test_credentials_from_environment(run_main, monkeypatch):
    monkeypatch.setenv("UPSTASH_EMAIL", "env@example.com")
    monkeypatch.setenv("UPSTASH_API_KEY", KEY)
    monkeypatch.setenv("UPSTASH_API_URL", API)
    responses.get(LIST_URL, json=[])
    code, result, dummy = run_module(run_main, email=None, api_key=None, api_url=None)
    assert code == 0 and result["connectors"] == []
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize("missing, words", [("email", ["email", "UPSTASH_EMAIL"]), ("api_key", ["api_key", "UPSTASH_API_KEY"])])
@responses.activate
def test_missing_credentials_fail_naming_option_and_variable(run_main, monkeypatch, missing, words):
    monkeypatch.delenv("UPSTASH_EMAIL", raising=False)
    monkeypatch.delenv("UPSTASH_API_KEY", raising=False)
    code, result, dummy = run_module(run_main, **{missing: None})
    assert code == 1 and result["failed"] is True
    for word in words:
        assert word in result["msg"]
    assert len(responses.calls) == 0


@pytest.mark.parametrize("args", [dict(cluster_id="../clusters"), dict(connector_id="a b")])
@responses.activate
def test_bad_ids_fail_before_any_request(run_main, args):
    code, result, dummy = run_module(run_main, **args)
    assert code == 1 and "letters, digits" in result["msg"]
    assert len(responses.calls) == 0


@responses.activate
def test_api_failure_is_one_clean_message(run_main):
    responses.get(LIST_URL, status=401, body="bad credentials")
    code, result, out = run_module(run_main)
    assert code == 1
    assert "Authentication failed" in result["msg"]
    assert KEY not in out and "Traceback" not in out
    assert "exception" not in result


def test_missing_requests_uses_ansible_message(run_main, monkeypatch):
    monkeypatch.setattr(_collection_module, "HAS_REQUESTS", False)
    code, result, dummy = run_module(run_main)
    assert code == 1
    assert "Failed to import the required Python library (requests)" in result["msg"]


@responses.activate
def test_without_cluster_lists_the_whole_account(run_main):
    responses.get(API + "/v2/kafka/clusters", json=[{"cluster_id": CLUSTER, "name": "prod"}, {"cluster_id": "other", "name": "o"}])
    responses.get(LIST_URL, json=CONNECTORS)
    responses.get(API + "/v2/kafka/connectors/other", json=[{"connector_id": "z", "name": "zed", "state": "paused"}])
    code, result, dummy = run_module(run_main, cluster_id=None, fields=["connector_id", "cluster_id"])
    assert code == 0
    assert result["connectors"] == [
        {"connector_id": "a", "cluster_id": CLUSTER}, {"connector_id": "b", "cluster_id": CLUSTER}, {"connector_id": "z", "cluster_id": "other"}]


def test_cluster_id_and_cluster_name_are_mutually_exclusive(run_main):
    code, result, dummy = run_module(run_main, cluster_name="prod")
    assert code == 1 and "mutually exclusive" in result["msg"]
