# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the module and the lookup ask of the API: which clusters a call covers, fetched
concurrently, answered in a stable order, then shaped by the data layer.

Private to this collection: not an interface for other collections or playbooks; it may change in
any release.
"""

from __future__ import annotations

from ansible_collections.upstash.cloud.plugins.module_utils._api_client import (
    MAX_CONCURRENT_REQUESTS,
    UpstashError,
    quoted,
    shorten,
    validate_id,
)
from ansible_collections.upstash.cloud.plugins.module_utils._connectors import shape_clusters, shape_connectors, summarize

_NAMES_SHOWN = 10
# A list of names in a message is cut at a few times what one value may take.
_QUOTE_LIST_MAX = 100


# The options query_connectors() takes by name, beside the cluster ids.
QUERY_OPTION_NAMES = ("cluster_name", "name", "connector_id", "states", "fields", "redact")


def connector_query_argument_spec():
    """The connector module's options beside the shared ones; documented in doc fragment CONNECTOR_QUERY."""
    return dict(
        cluster_name=dict(type="str"),
        name=dict(type="str"),
        connector_id=dict(type="str"),
        states=dict(type="list", elements="str"),
        fields=dict(type="list", elements="str"),
    )


def validate_options(cluster_ids=(), cluster_name=None, connector_id=None, states=None, fields=None):
    """Refuse unusable scope options before any request is sent."""
    for cluster_id in cluster_ids:
        validate_id(cluster_id, "cluster_id")
    if cluster_ids and cluster_name is not None:
        raise UpstashError("Give either cluster ids or cluster_name, not both.")
    if cluster_name is not None and (not isinstance(cluster_name, str) or not cluster_name):
        raise UpstashError("Invalid cluster_name: it must be a non-empty string.")
    if connector_id is not None:
        validate_id(connector_id, "connector_id")
    if states is not None and (not states or not all(isinstance(state, str) and state for state in states)):
        raise UpstashError("Invalid states: it must be a list of one or more connector states (non-empty strings), such as [failed].")
    if fields is not None and not all(isinstance(field, str) and field for field in fields):
        raise UpstashError("Invalid fields: it must be a list of connector keys (non-empty strings).")


def resolve_cluster_name(client, cluster_name):
    """The id of the one cluster of the account with this name."""
    clusters = client.list_clusters()
    matches = [cluster for cluster in clusters if cluster.get("name") == cluster_name]
    if len(matches) == 1:
        try:
            return validate_id(matches[0].get("cluster_id"), "cluster_id")
        except UpstashError as exc:
            raise UpstashError("The Kafka cluster named %s has no usable id in the account's cluster list: %s"
                               % (quoted(cluster_name), exc))
    if len(matches) > 1:
        ids = ", ".join(quoted(cluster.get("cluster_id")) for cluster in matches[:_NAMES_SHOWN])
        raise UpstashError(
            "%d Kafka clusters are named %s (ids %s); use cluster_id to pick one."
            % (len(matches), quoted(cluster_name), shorten(ids, 4 * _QUOTE_LIST_MAX))
        )
    names = sorted(str(cluster.get("name")) for cluster in clusters)
    shown = ", ".join(quoted(name) for name in names[:_NAMES_SHOWN]) + (", ..." if len(names) > _NAMES_SHOWN else "")
    raise UpstashError(
        "No Kafka cluster named %s in this account (%s)."
        % (quoted(cluster_name), "its clusters are " + shorten(shown, 4 * _QUOTE_LIST_MAX) if names else "it has no Kafka clusters")
    )


def _connectors_of_each(client, cluster_ids):
    """The connectors of several clusters fetched concurrently, kept in cluster order.

    The first failure ends the call, and so does anything raised in this thread while it waits (the
    task's own timeout arrives as an exception here): queued requests are dropped, those in flight
    cut off, and every thread has ended when this returns or raises.
    """
    if len(cluster_ids) == 1:
        return [client.list_connectors(cluster_ids[0])]
    from concurrent.futures import ThreadPoolExecutor  # only account-wide calls pay for the import

    pool = ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_REQUESTS, len(cluster_ids)))
    futures = []
    try:
        futures = [pool.submit(client.list_connectors, cluster_id) for cluster_id in cluster_ids]
        listings = []
        for cluster_id, future in zip(cluster_ids, futures):
            try:
                listings.append(future.result())
            except UpstashError as exc:
                raise UpstashError("Listing the connectors of Kafka cluster %s failed: %s" % (quoted(cluster_id), exc))
        return listings
    except BaseException:
        for future in futures:
            future.cancel()
        client.cancel()
        raise
    finally:
        pool.shutdown(wait=True)


def _with_cluster_id(connectors, cluster_id):
    """Account-wide results say which cluster each connector belongs to, even if the API did not."""
    return [connector if "cluster_id" in connector else dict(connector, cluster_id=cluster_id) for connector in connectors]


def query_connectors_and_summary(client, cluster_ids=(), cluster_name=None, name=None, connector_id=None, states=None,
                                 fields=None, redact=True):
    """The connectors a module call asks for, and the summary of every connector the call covered.

    cluster ids given: those clusters, in order. cluster_name: that cluster. Neither, with a
    connector_id: that one connector. Neither and no connector_id: every cluster of the account.
    The summary counts the connectors before the name, connector_id and states filters.
    """
    cluster_ids = list(cluster_ids)
    validate_options(cluster_ids, cluster_name, connector_id, states, fields)
    if cluster_name is not None:
        cluster_ids = [resolve_cluster_name(client, cluster_name)]
    if cluster_ids:
        connectors = [connector for listing in _connectors_of_each(client, cluster_ids) for connector in listing]
    elif connector_id is not None:
        connectors = [client.get_connector(connector_id)]
    else:
        account_ids = [cluster.get("cluster_id") for cluster in client.list_clusters()]
        for cluster_id in account_ids:
            validate_id(cluster_id, "cluster_id in the clusters list")
        listings = _connectors_of_each(client, account_ids) if account_ids else []
        connectors = [
            connector for cluster_id, listing in zip(account_ids, listings) for connector in _with_cluster_id(listing, cluster_id)
        ]
    shaped = shape_connectors(connectors, name=name, connector_id=connector_id, states=states, fields=fields, redact=redact)
    return shaped, summarize(connectors)


def query_connectors(client, cluster_ids=(), **query):
    """The connectors a lookup call asks for: query_connectors_and_summary() without the summary."""
    return query_connectors_and_summary(client, cluster_ids, **query)[0]


def query_clusters(client, cluster_id=None, name=None, redact=True):
    """The account's Kafka clusters, optionally only the one with this id or name."""
    if cluster_id is not None:
        validate_id(cluster_id, "cluster_id")
    return shape_clusters(client.list_clusters(), cluster_id=cluster_id, name=name, redact=redact)
