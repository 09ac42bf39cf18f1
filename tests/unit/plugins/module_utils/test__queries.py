# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.upstash.cloud.plugins.module_utils._api_client import UpstashError, UpstashHTTPError
from ansible_collections.upstash.cloud.plugins.module_utils._queries import (
    MAX_CONCURRENT_REQUESTS,
    query_clusters,
    query_connectors,
    query_connectors_and_summary,
    resolve_cluster_name,
)


class FakeClient:
    """Stands in for UpstashClient: records calls, can be slow or fail per cluster."""

    def __init__(self, clusters, connectors, delay=0.0, failing=()):
        self.clusters = clusters
        self.connectors = connectors
        self.delay = delay
        self.failing = set(failing)
        self.calls = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()

    cancelled = False

    def cancel(self):
        self.cancelled = True

    def list_clusters(self):
        self.calls.append(("clusters",))
        return self.clusters

    def get_connector(self, connector_id):
        self.calls.append(("connector", connector_id))
        for listing in self.connectors.values():
            for connector in listing:
                if connector["connector_id"] == connector_id:
                    return connector
        raise UpstashHTTPError("Kafka connector %r was not found at api (HTTP 404: not found)." % connector_id, 404)

    def list_connectors(self, cluster_id):
        with self._lock:
            self.calls.append(("connectors", cluster_id))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            if cluster_id in self.failing:
                raise UpstashHTTPError("HTTP 500 from api for GET /v2/kafka/connectors/%s: boom." % cluster_id, 500)
            return self.connectors[cluster_id]
        finally:
            with self._lock:
                self.in_flight -= 1


def account(clusters=3, per_cluster=2, **kwargs):
    ids = ["k%02d" % number for number in range(clusters)]
    return FakeClient(
        [{"cluster_id": cluster_id, "name": "name-" + cluster_id, "password": "pw-" + cluster_id} for cluster_id in ids],
        dict((cluster_id, [{"connector_id": "%s-c%d" % (cluster_id, n), "name": "c%d" % n, "state": "running"}
                           for n in range(per_cluster)]) for cluster_id in ids),
        **kwargs
    )


def test_whole_account_in_cluster_then_api_order_with_cluster_ids():
    client = account()
    connectors = query_connectors(client)
    assert [c["connector_id"] for c in connectors] == ["k00-c0", "k00-c1", "k01-c0", "k01-c1", "k02-c0", "k02-c1"]
    assert [c["cluster_id"] for c in connectors] == ["k00", "k00", "k01", "k01", "k02", "k02"]


def test_cluster_id_sent_by_the_api_is_kept():
    client = account(clusters=2)
    client.connectors["k01"][0]["cluster_id"] = "as-sent"
    assert [c["cluster_id"] for c in query_connectors(client)][2] == "as-sent"


def test_whole_account_runs_clusters_concurrently_within_the_bound():
    client = account(clusters=20, delay=0.05)
    started = time.monotonic()
    connectors = query_connectors(client)
    elapsed = time.monotonic() - started
    assert len(connectors) == 40
    assert 1 < client.most_in_flight <= MAX_CONCURRENT_REQUESTS
    # 20 sequential calls would take 1 s; 3 rounds of 8 take about 0.15 s.
    assert elapsed < 0.8


def test_one_failing_cluster_fails_the_call_naming_it():
    client = account(clusters=5, failing=["k03"])
    with pytest.raises(UpstashError) as caught:
        query_connectors(client)
    assert "'k03'" in str(caught.value) and "HTTP 500" in str(caught.value)
    # the other clusters' requests are dropped or cut off
    assert client.cancelled


def test_empty_account_and_empty_cluster():
    assert query_connectors(FakeClient([], {})) == []
    client = account(clusters=2, per_cluster=0)
    assert query_connectors(client) == []


def test_cluster_name_resolves_to_its_connectors():
    client = account()
    assert [c["connector_id"] for c in query_connectors(client, cluster_name="name-k01")] == ["k01-c0", "k01-c1"]
    assert client.calls == [("clusters",), ("connectors", "k01")]


def test_unknown_cluster_name_lists_names_but_no_secret():
    client = account()
    with pytest.raises(UpstashError) as caught:
        resolve_cluster_name(client, "nope")
    message = str(caught.value)
    assert "'nope'" in message and "'name-k00'" in message
    assert "pw-" not in message
    with pytest.raises(UpstashError, match="no Kafka clusters"):
        resolve_cluster_name(FakeClient([], {}), "nope")


def test_ambiguous_cluster_name_fails():
    client = account()
    client.clusters[2]["name"] = "name-k00"
    with pytest.raises(UpstashError, match="2 Kafka clusters are named 'name-k00'"):
        query_connectors(client, cluster_name="name-k00")


def test_connector_id_without_cluster_fetches_that_connector():
    client = account()
    assert query_connectors(client, connector_id="k02-c1") == [{"connector_id": "k02-c1", "name": "c1", "state": "running"}]
    assert client.calls == [("connector", "k02-c1")]
    with pytest.raises(UpstashError, match="'missing' was not found"):
        query_connectors(client, connector_id="missing")


def test_connector_id_with_cluster_is_a_filter():
    client = account()
    assert [c["connector_id"] for c in query_connectors(client, ["k01"], connector_id="k01-c1")] == ["k01-c1"]
    assert query_connectors(client, ["k01"], connector_id="k02-c1") == []


@pytest.mark.parametrize("kwargs", [
    dict(cluster_ids=["k01"], cluster_name="name-k01"),
    dict(cluster_name=""),
    dict(cluster_ids=["../x"]),
    dict(connector_id="a?b"),
    dict(fields=["name", ""]),
    dict(fields=["name", 3]),
    dict(states=[]),
    dict(states=["failed", ""]),
    dict(states=[None]),
])
def test_unusable_options_send_nothing(kwargs):
    client = account()
    with pytest.raises(UpstashError):
        query_connectors(client, **kwargs)
    assert client.calls == []


def test_fields_projection():
    client = account(clusters=1)
    assert query_connectors(client, ["k00"], fields=["state", "name", "absent"]) == [
        {"name": "c0", "state": "running"}, {"name": "c1", "state": "running"}]


def mixed_states(client):
    """k00: running, FAILED; k01: Paused, failed; k02: running, no state at all."""
    client.connectors["k00"][1]["state"] = "FAILED"
    client.connectors["k01"][0]["state"] = "Paused"
    client.connectors["k01"][1]["state"] = "failed"
    del client.connectors["k02"][1]["state"]
    return client


def test_states_filter_in_any_case_over_the_whole_account():
    client = mixed_states(account())
    connectors, summary = query_connectors_and_summary(client, states=["Failed"])
    assert [c["connector_id"] for c in connectors] == ["k00-c1", "k01-c1"]
    assert [c["cluster_id"] for c in connectors] == ["k00", "k01"]
    assert summary == {"total": 6, "by_state": {"running": 2, "failed": 2, "paused": 1}}
    assert query_connectors(client, ["k01"], states=["PAUSED", "running"]) == [
        {"connector_id": "k01-c0", "name": "c0", "state": "Paused"}]


def test_states_combine_with_the_other_filters_and_fields():
    client = mixed_states(account())
    assert query_connectors(client, ["k00", "k01"], states=["failed"], name="c1", fields=["cluster_id", "state"]) == [
        {"state": "FAILED"}, {"state": "failed"}]
    assert query_connectors(client, cluster_name="name-k01", states=["failed"], connector_id="k01-c0") == []
    assert query_connectors(client, connector_id="k00-c1", states=["failed"]) == [
        {"connector_id": "k00-c1", "name": "c1", "state": "FAILED"}]


def test_summary_counts_what_the_call_covered_before_the_filters():
    client = mixed_states(account())
    dummy, summary = query_connectors_and_summary(client, ["k01"], name="c0", states=["running"], fields=["name"])
    assert summary == {"total": 2, "by_state": {"paused": 1, "failed": 1}}
    connectors, summary = query_connectors_and_summary(client, connector_id="k02-c0", states=["failed"])
    assert connectors == [] and summary == {"total": 1, "by_state": {"running": 1}}
    assert query_connectors_and_summary(FakeClient([], {})) == ([], {"total": 0, "by_state": {}})


def test_clusters_redacted_and_filtered():
    client = account()
    assert [c["password"] for c in query_clusters(client)] == ["********"] * 3
    assert query_clusters(client, redact=False)[0]["password"] == "pw-k00"
    assert [c["cluster_id"] for c in query_clusters(client, name="name-k01")] == ["k01"]
    assert [c["cluster_id"] for c in query_clusters(client, cluster_id="k02")] == ["k02"]
    with pytest.raises(UpstashError):
        query_clusters(client, cluster_id="a/b")
