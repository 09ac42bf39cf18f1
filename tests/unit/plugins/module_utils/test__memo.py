# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.upstash.cloud.plugins.module_utils import _memo
from ansible_collections.upstash.cloud.plugins.module_utils._memo import MemoizingClient


class CountingClient:
    def __init__(self, identity=("https://api", "ops@example.com", "digest", "None", True)):
        self.identity = identity
        self.calls = []

    def list_connectors(self, cluster_id):
        self.calls.append(cluster_id)
        return [{"cluster": cluster_id, "call": len(self.calls)}]

    def list_clusters(self):
        self.calls.append("clusters")
        return []

    def get_connector(self, connector_id):
        self.calls.append(connector_id)
        return {"connector_id": connector_id}


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture(autouse=True)
def empty_memo():
    _memo.forget_all()
    yield
    _memo.forget_all()


def test_same_request_within_ttl_is_not_sent_again():
    client, clock = CountingClient(), Clock()
    memo = MemoizingClient(client, 5, clock=clock)
    first = memo.list_connectors("k1")
    clock.now += 4.9
    assert memo.list_connectors("k1") is first
    assert client.calls == ["k1"]
    clock.now += 0.2
    assert memo.list_connectors("k1") != first
    assert client.calls == ["k1", "k1"]


def test_memory_is_shared_between_wrappers_but_not_between_identities():
    clock = Clock()
    one, other = CountingClient(), CountingClient(identity=("https://api", "ops@example.com", "other-digest", "None", True))
    MemoizingClient(one, 5, clock=clock).list_connectors("k1")
    MemoizingClient(one, 5, clock=clock).list_connectors("k1")
    MemoizingClient(other, 5, clock=clock).list_connectors("k1")
    assert one.calls == ["k1"] and other.calls == ["k1"]


def test_requests_are_told_apart():
    client = CountingClient()
    memo = MemoizingClient(client, 5, clock=Clock())
    memo.list_connectors("k1")
    memo.list_connectors("k2")
    memo.list_clusters()
    memo.get_connector("k1")
    memo.list_clusters()
    assert client.calls == ["k1", "k2", "clusters", "k1"]


def test_zero_ttl_disables_the_memory():
    client = CountingClient()
    memo = MemoizingClient(client, 0, clock=Clock())
    memo.list_connectors("k1")
    memo.list_connectors("k1")
    assert client.calls == ["k1", "k1"]


def test_expired_answers_are_dropped():
    client, clock = CountingClient(), Clock()
    memo = MemoizingClient(client, 1, clock=clock)
    for number in range(50):
        memo.list_connectors("k%d" % number)
        clock.now += 2
    assert len(_memo._ANSWERS) == 1  # pylint: disable=protected-access


def test_the_api_key_is_not_kept_in_clear():
    from ansible_collections.upstash.cloud.plugins.module_utils._api_client import UpstashClient

    client = UpstashClient(email="ops@example.com", api_key="memo-key-77aa", api_url="http://127.0.0.1:9")
    assert "memo-key-77aa" not in repr(client.identity)
