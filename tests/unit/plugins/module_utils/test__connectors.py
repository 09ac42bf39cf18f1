# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the info modules and the lookup read: scope, concurrent listing, filters, projection, summary."""

from __future__ import annotations

import copy
import json
import re
import threading
import time

import pytest

from ansible_collections.upstash.cloud.plugins.module_utils._api import Client, UpstashError
from ansible_collections.upstash.cloud.plugins.module_utils._connectors import query_connectors, read_clusters, resolve_cluster_name, shape_connectors

API = "http://127.0.0.1:9"
KEY = "Zq7w-9e4b-X2mL-f81c"
CLUSTERS = [{"cluster_id": "k00", "name": "prod", "password": "Cluster-Pass-0"}, {"cluster_id": "k01", "name": "staging", "password": "Cluster-Pass-1"}]
CONNECTORS = {
    "k00": [{"connector_id": "a", "name": "mongo-sink", "state": "running", "properties": {"db.password": "Pw-123456", "topics": "t"}, "future_field": 1},
            {"connector_id": "b", "name": "pg-source", "state": "FAILED"}],
    "k01": [{"connector_id": "c", "name": "mongo-sink", "state": "Paused"},
            {"connector_id": "d", "name": "odd", "state": "degraded", "cluster_id": "as-sent"},
            {"connector_id": "e", "name": "stateless"}],
}
KNOWN_STATES = "creating, failed, paused, pending, restarting, running, starting, unassigned, updating"


@pytest.fixture
def client():
    return Client(email="ops@example.com", api_key=KEY, api_url=API, retries=0)


@pytest.fixture
def account(api):
    api.get(API + "/v2/kafka/clusters", json=CLUSTERS)
    for cluster_id, connectors in CONNECTORS.items():
        api.get(API + "/v2/kafka/connectors/" + cluster_id, json=connectors)
    api.get(API + "/v2/kafka/connector/b", json=CONNECTORS["k00"][1])
    return api


def ids(connectors):
    return [connector.get("connector_id") for connector in connectors]


@pytest.mark.parametrize("kwargs, expected, paths", [
    (dict(), ["a", "b", "c", "d", "e"], ["clusters", "connectors/k00", "connectors/k01"]),
    (dict(cluster_ids=["k01", "k00"]), ["c", "d", "e", "a", "b"], ["connectors/k00", "connectors/k01"]),
    (dict(cluster_name="staging"), ["c", "d", "e"], ["clusters", "connectors/k01"]),
    (dict(connector_id="b"), ["b"], ["connector/b"]),
    (dict(cluster_ids=["k00"], connector_id="c"), [], ["connectors/k00"]),
    (dict(name="mongo-sink"), ["a", "c"], ["clusters", "connectors/k00", "connectors/k01"]),
    (dict(states=["failed", "PAUSED"]), ["b", "c"], ["clusters", "connectors/k00", "connectors/k01"]),
    # known to the collection but matching nothing; unknown to it but the state of a connector covered
    (dict(states=["pending"]), [], ["clusters", "connectors/k00", "connectors/k01"]),
    (dict(states=["Degraded"]), ["d"], ["clusters", "connectors/k00", "connectors/k01"]),
    (dict(cluster_ids=["k00"], states=["failed"], name="mongo-sink"), [], ["connectors/k00"]),
])
def test_scope_and_filters_keep_cluster_then_api_order(account, client, kwargs, expected, paths):
    connectors, dummy = query_connectors(client, **kwargs)
    assert ids(connectors) == expected
    assert sorted(call.request.path_url.split("/kafka/")[1] for call in account.calls) == paths


def test_account_wide_connectors_carry_their_cluster_and_the_summary_counts_before_the_filters(account, client):
    connectors, summary = query_connectors(client, states=["failed"])
    assert [(c["connector_id"], c["cluster_id"]) for c in connectors] == [("b", "k00")]
    assert [c["cluster_id"] for c in query_connectors(client, fields=["cluster_id"])[0]] == ["k00", "k00", "k01", "as-sent", "k01"]
    assert summary == {"total": 5, "by_state": {"running": 1, "failed": 1, "paused": 1, "degraded": 1}}


def test_an_empty_account_is_an_empty_answer(api, client):
    api.get(API + "/v2/kafka/clusters", json=[])
    assert query_connectors(client) == ([], {"total": 0, "by_state": {}})


@pytest.mark.parametrize("option, values, data, message", [
    ("states", ["runing"], CONNECTORS["k00"], "Unknown states value 'runing' (did you mean 'running'?): the known ones are %s." % KNOWN_STATES),
    ("states", ["failed", "Zzz"], CONNECTORS["k00"], "Unknown states value 'zzz': the known ones are %s." % KNOWN_STATES),
    ("states", ["degraded"], [], "Unknown states value 'degraded': the known ones are %s." % KNOWN_STATES),
    ("fields", ["nmae"], [], "Unknown fields value 'nmae' (did you mean 'name'?): the known ones are TTL, cluster_id, connector_class, "),
    ("fields", ["future_feild"], CONNECTORS["k00"], "Unknown fields value 'future_feild' (did you mean 'future_field'?): the known ones are TTL, "),
])
def test_a_state_or_field_neither_known_nor_in_the_data_is_a_typo(option, values, data, message):
    with pytest.raises(UpstashError) as caught:
        shape_connectors(data, **{option: values})
    assert str(caught.value).startswith(message)


def test_projection_copies_only_the_fields_asked_for_and_redaction_still_applies():
    original = copy.deepcopy(CONNECTORS["k00"])
    assert shape_connectors(original, fields=["name", "properties", "future_field"]) == [
        {"name": "mongo-sink", "properties": {"db.password": "********", "topics": "t"}, "future_field": 1}, {"name": "pg-source"}]
    assert original == CONNECTORS["k00"]
    assert shape_connectors(original, redact_secrets=False) == CONNECTORS["k00"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(cluster_ids=["k00"], cluster_name="prod"), "Give either cluster ids or cluster_name, not both."),
    (dict(cluster_name=""), "Invalid cluster_name: it must be a non-empty string."),
    (dict(cluster_ids=["k00", "../x"]), "Invalid cluster_id '../x': it must be a non-empty string of letters, digits, '-' and '_'."),
    (dict(connector_id="a?b"), "Invalid connector_id 'a?b'"),
    (dict(states=[]), "Invalid states: it must be a list of one or more connector states"),
    (dict(states=["failed", None]), "Invalid states: it must be a list of one or more connector states"),
    (dict(fields=["name", ""]), "Invalid fields: it must be a list of connector keys (non-empty strings)."),
])
def test_unusable_options_are_refused_before_any_request(api, client, kwargs, message):
    with pytest.raises(UpstashError) as caught:
        query_connectors(client, **kwargs)
    assert str(caught.value).startswith(message)
    assert not api.calls


@pytest.mark.parametrize("clusters, outcome", [
    ([{"cluster_id": "k1", "name": "dev"}, {"cluster_id": "k2", "name": "prod"}], "k2"),
    ([{"cluster_id": "k1", "name": "prod"}, {"cluster_id": "k2", "name": "prod"}],
     "2 Kafka clusters are named 'prod' (ids 'k1', 'k2'); use cluster_id to pick one."),
    ([{"cluster_id": "k1", "name": "dev", "password": "Cluster-Pass-1"}], "No Kafka cluster named 'prod' in this account (its clusters are 'dev')."),
    ([], "No Kafka cluster named 'prod' in this account (it has no Kafka clusters)."),
    ([{"cluster_id": "../k", "name": "prod"}],
     "Invalid cluster_id of the cluster named 'prod' '../k': it must be a non-empty string of letters, digits, '-' and '_'."),
])
def test_a_cluster_name_names_exactly_one_cluster(api, client, clusters, outcome):
    api.get(API + "/v2/kafka/clusters", json=clusters)
    try:
        found = resolve_cluster_name(client, "prod")
    except UpstashError as exc:
        found = str(exc)
    assert found == outcome


def many_clusters(api, answer, count=20):
    api.get(API + "/v2/kafka/clusters", json=[{"cluster_id": "k%02d" % number} for number in range(count)])
    api.add_callback("GET", re.compile(re.escape(API) + r"/v2/kafka/connectors/k\d+"), callback=lambda request: answer(int(request.path_url[-2:])))


def test_account_wide_listing_runs_at_most_8_requests_at_once_and_keeps_cluster_order(api, client):
    lock, flight = threading.Lock(), dict(now=0, most=0)

    def answer(number):
        with lock:
            flight["now"] += 1
            flight["most"] = max(flight["most"], flight["now"])
        time.sleep(0.01 if number % 2 else 0.04)  # later clusters answer first
        with lock:
            flight["now"] -= 1
        return 200, {}, json.dumps([{"connector_id": "c%02d" % number}])

    many_clusters(api, answer)
    connectors, dummy = query_connectors(client)
    assert [(c["connector_id"], c["cluster_id"]) for c in connectors] == [("c%02d" % n, "k%02d" % n) for n in range(20)]
    assert 1 < flight["most"] <= 8


def test_one_failing_cluster_fails_the_call_naming_it_and_nothing_more_is_sent(api, client):
    threads = threading.active_count()

    def answer(number):
        if number == 0:
            return 500, {}, json.dumps({"error": "boom"})
        time.sleep(0.2)
        return 200, {}, "[]"

    many_clusters(api, answer)
    with pytest.raises(UpstashError) as caught:
        query_connectors(client)
    assert str(caught.value) == "Listing the connectors of Kafka cluster 'k00' failed: HTTP 500 from 127.0.0.1:9 for GET /v2/kafka/connectors/k00: boom."
    assert caught.value.status == 500
    assert client.call.cancelled and len(api.calls) < 21
    assert threading.active_count() == threads


@pytest.mark.parametrize("params, expected", [
    (dict(cluster_id=None, name=None, redact=True), [dict(cluster, password="********") for cluster in CLUSTERS]),
    (dict(cluster_id="k01", name=None, redact=False), CLUSTERS[1:]),
    (dict(cluster_id=None, name="prod", redact=True), [dict(CLUSTERS[0], password="********")]),
    (dict(cluster_id="k00", name="staging", redact=True), []),
])
def test_clusters_are_filtered_and_their_passwords_redacted(account, client, params, expected):
    assert read_clusters(client, params, None) == dict(changed=False, clusters=expected)


def test_an_unusable_cluster_id_is_refused_before_listing_clusters(api, client):
    with pytest.raises(UpstashError, match="Invalid cluster_id 'a/b'"):
        read_clusters(client, dict(cluster_id="a/b", name=None, redact=True), None)
    assert not api.calls


def test_a_single_connector_answer_that_is_not_an_object_is_named(api, client):
    api.get(API + "/v2/kafka/connector/b", json="OK")
    with pytest.raises(UpstashError, match="a JSON string"):
        query_connectors(client, connector_id="b")
