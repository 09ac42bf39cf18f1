# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.upstash.cloud.plugins.module_utils._api import Client
from ansible_collections.upstash.cloud.plugins.plugin_utils import _memo
from ansible_collections.upstash.cloud.plugins.plugin_utils._memo import MemoizingClient

IDENTITY = ("https://api", "ops@example.com", "digest", "None", True)


class CountingClient:
    def __init__(self, identity=IDENTITY):
        self.identity = identity
        self.calls = []
        self.call = object()

    def list_connectors(self, cluster_id):
        self.calls.append(cluster_id)
        return [{"cluster": cluster_id, "call": len(self.calls)}]

    def list_clusters(self):
        self.calls.append("clusters")
        return []

    def get_connector(self, connector_id):
        self.calls.append("connector " + connector_id)
        return {"connector_id": connector_id}


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture(autouse=True)
def empty_memo():
    _memo.forget_all()
    yield
    _memo.forget_all()


def test_the_same_read_within_ttl_is_not_sent_again():
    client, clock = CountingClient(), Clock()
    memo = MemoizingClient(client, 5, clock=clock)
    first = memo.list_connectors("k1")
    clock.now += 4.9
    assert memo.list_connectors("k1") is first and client.calls == ["k1"]
    clock.now += 0.2
    assert memo.list_connectors("k1") != first and client.calls == ["k1", "k1"]


def test_memory_is_shared_between_wrappers_but_not_between_identities():
    clock, one, other = Clock(), CountingClient(), CountingClient(identity=IDENTITY[:2] + ("other-digest",) + IDENTITY[3:])
    for client in (one, one, other):
        MemoizingClient(client, 5, clock=clock).list_connectors("k1")
    assert one.calls == ["k1"] and other.calls == ["k1"]


def test_reads_are_told_apart_and_the_call_is_the_clients():
    client = CountingClient()
    memo = MemoizingClient(client, 5, clock=Clock())
    for read in (memo.list_clusters, lambda: memo.list_connectors("k1"), lambda: memo.get_connector("k1"), memo.list_clusters):
        read()
    assert client.calls == ["clusters", "k1", "connector k1"]
    assert memo.call is client.call


def test_zero_ttl_disables_the_memory_and_expired_answers_are_dropped():
    client, clock = CountingClient(), Clock()
    memo = MemoizingClient(client, 0, clock=clock)
    memo.list_connectors("k1")
    memo.list_connectors("k1")
    assert client.calls == ["k1", "k1"]
    memo = MemoizingClient(client, 1, clock=clock)
    for number in range(50):
        memo.list_connectors("k%d" % number)
        clock.now += 2
    assert len(_memo._ANSWERS) == 1  # pylint: disable=protected-access


def test_the_api_key_is_not_kept_in_clear():
    client = Client(email="ops@example.com", api_key="Mm7c-77aa-Kd2p-40b1", api_url="http://127.0.0.1:9")
    assert "Mm7c-77aa-Kd2p-40b1" not in repr(client.identity)
