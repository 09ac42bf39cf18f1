# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A short-lived, process-wide memory of API answers for the lookup.

Ansible templates lazily: a variable that calls a lookup is evaluated again each time it is used,
so a template that mentions one cluster twenty times would otherwise send twenty requests.

Private to this collection: not an interface for other collections or playbooks; it may change in
any release.
"""

from __future__ import annotations

import threading
import time

_ANSWERS = {}
_LOCK = threading.Lock()


def forget_all():
    with _LOCK:
        _ANSWERS.clear()


class MemoizingClient:
    """Wraps a Client; the same read with the same credentials within ttl seconds is not sent again."""

    def __init__(self, client, ttl, clock=time.monotonic):
        self._client = client
        self.call = client.call  # cancelled as the client's own
        self._ttl = ttl
        self._clock = clock

    def _remember(self, request, fetch):
        if self._ttl <= 0:
            return fetch()
        key = self._client.identity + request
        now = self._clock()
        with _LOCK:
            entry = _ANSWERS.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        answer = fetch()
        with _LOCK:
            for stale in [known for known, (expires, dummy) in _ANSWERS.items() if expires <= now]:
                del _ANSWERS[stale]
            _ANSWERS[key] = (now + self._ttl, answer)
        return answer

    def list_connectors(self, cluster_id):
        return self._remember(("connectors", cluster_id), lambda: self._client.list_connectors(cluster_id))

    def get_connector(self, connector_id):
        return self._remember(("connector", connector_id), lambda: self._client.get_connector(connector_id))

    def list_clusters(self):
        return self._remember(("clusters",), self._client.list_clusters)
