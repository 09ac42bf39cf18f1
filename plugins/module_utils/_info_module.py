# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The info modules of this collection: what each one takes and reads. They never change anything.

Private to this collection: not an interface for other collections or playbooks; it may change in
any release.
"""

from __future__ import annotations

from ansible_collections.upstash.cloud.plugins.module_utils._collection_module import CollectionModule
from ansible_collections.upstash.cloud.plugins.module_utils._queries import (
    QUERY_OPTION_NAMES,
    connector_query_argument_spec,
    query_clusters,
    query_connectors_and_summary,
)


def _read_connectors(client, params, _task):
    cluster_ids = [] if params["cluster_id"] is None else [params["cluster_id"]]
    query = dict((option, params[option]) for option in QUERY_OPTION_NAMES)
    connectors, summary = query_connectors_and_summary(client, cluster_ids, **query)
    return dict(changed=False, connectors=connectors, summary=summary)


def _read_clusters(client, params, _task):
    clusters = query_clusters(client, cluster_id=params["cluster_id"], name=params["name"], redact=params["redact"])
    return dict(changed=False, clusters=clusters)


CONNECTOR_INFO = CollectionModule(
    dict(connector_query_argument_spec(), cluster_id=dict(type="str")),
    _read_connectors,
    mutually_exclusive=[("cluster_id", "cluster_name")],
)

CLUSTER_INFO = CollectionModule(dict(cluster_id=dict(type="str"), name=dict(type="str")), _read_clusters)
