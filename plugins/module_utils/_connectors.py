# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the info modules and the lookup read: which clusters a call covers, fetched concurrently in a
stable order, and the data code that shapes the answer (filters, projection, summary, redaction).
"""

from __future__ import annotations

import difflib

from ansible_collections.upstash.cloud.plugins.module_utils._api import MAX_CONCURRENT_REQUESTS, validate_id
from ansible_collections.upstash.cloud.plugins.module_utils._errors import UpstashError, quoted
from ansible_collections.upstash.cloud.plugins.module_utils._module import CollectionModule
from ansible_collections.upstash.cloud.plugins.module_utils._secrets import redact

# The states the API is known to use, and those a connector passes through on its way to running.
TRANSITIONAL_STATES = frozenset(("pending", "creating", "starting", "restarting", "updating", "unassigned"))
KNOWN_STATES = frozenset(("running", "paused", "failed")) | TRANSITIONAL_STATES
# The fields of a connector object as documented, and those some clients have seen.
CONNECTOR_FIELDS = frozenset(("connector_id", "name", "customer_id", "cluster_id", "creation_time", "deletion_time", "state",
                              "state_error_message", "connector_state", "tasks", "topics", "connector_class", "properties",
                              "encoded_username", "TTL", "properties_encrypted", "user_password"))
_NAMES_SHOWN = 10

# The connector module's options beside the shared ones (doc fragment connector_query), and the lookup's.
QUERY_OPTIONS = dict(cluster_name=dict(type="str"), name=dict(type="str"), connector_id=dict(type="str"),
                     states=dict(type="list", elements="str"), fields=dict(type="list", elements="str"))


def _listed(names):
    shown = ", ".join(quoted(name) for name in names[:_NAMES_SHOWN])
    return shown + (", ..." if len(names) > _NAMES_SHOWN else "")


def validate_query(cluster_ids=(), cluster_name=None, connector_id=None, states=None, fields=None):
    """Refuse unusable options before any request is sent."""
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


def _check_known(option, given, known, seen):
    """A value neither known to the collection nor seen in the data the call covered is a typo: a check
    written with it could never fail, so it fails now."""
    for value in given:
        if value not in known and value not in seen:
            near = difflib.get_close_matches(value, sorted(known | seen), n=1)
            raise UpstashError("Unknown %s value %s%s: the known ones are %s." % (
                option, quoted(value), " (did you mean %s?)" % quoted(near[0]) if near else "", ", ".join(sorted(known))))


def state_of(connector):
    state = connector.get("state")
    return state.lower() if isinstance(state, str) else None


def summarize(connectors):
    """How many connectors there are, and how many in each lower-case state."""
    by_state = {}
    for state in map(state_of, connectors):
        if state is not None:
            by_state[state] = by_state.get(state, 0) + 1
    return {"total": len(connectors), "by_state": by_state}


def shape_connectors(connectors, name=None, connector_id=None, states=None, fields=None, redact_secrets=True):
    """Filter, project, then redact: what the module and the lookup hand back to a playbook."""
    if states is not None:
        _check_known("states", [state.lower() for state in states], KNOWN_STATES, set(filter(None, map(state_of, connectors))))
        wanted = frozenset(state.lower() for state in states)
    if fields is not None:
        _check_known("fields", fields, CONNECTOR_FIELDS, set(key for connector in connectors for key in connector))
    selected = [connector for connector in connectors
                if (name is None or connector.get("name") == name)
                and (connector_id is None or connector.get("connector_id") == connector_id)
                and (states is None or state_of(connector) in wanted)]
    if fields is not None:
        selected = [dict((key, value) for key, value in connector.items() if key in fields) for connector in selected]
    return [redact(connector) for connector in selected] if redact_secrets else selected


def resolve_cluster_name(client, cluster_name):
    """The id of the one cluster of the account with this name."""
    clusters = client.list_clusters()
    matches = [cluster for cluster in clusters if cluster.get("name") == cluster_name]
    if len(matches) > 1:
        raise UpstashError("%d Kafka clusters are named %s (ids %s); use cluster_id to pick one."
                           % (len(matches), quoted(cluster_name), _listed([cluster.get("cluster_id") for cluster in matches])))
    if not matches:
        names = sorted(str(cluster.get("name")) for cluster in clusters)
        raise UpstashError("No Kafka cluster named %s in this account (%s)." % (
            quoted(cluster_name), "its clusters are " + _listed(names) if names else "it has no Kafka clusters"))
    return validate_id(matches[0].get("cluster_id"), "cluster_id of the cluster named %s" % quoted(cluster_name))


def _connectors_of_each(client, cluster_ids):
    """The connectors of several clusters fetched concurrently, in cluster order. The first failure, or
    anything raised here while waiting (the task's timeout), ends the call: queued requests are dropped,
    those in flight cut off, and every thread has ended when this returns or raises."""
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
                raise UpstashError("Listing the connectors of Kafka cluster %s failed: %s" % (quoted(cluster_id), exc), exc.status)
        return listings
    except BaseException:
        for future in futures:
            future.cancel()
        client.call.cancel()
        raise
    finally:
        pool.shutdown(wait=True)


def query_connectors(client, cluster_ids=(), cluster_name=None, name=None, connector_id=None, states=None, fields=None,
                     redact_secrets=True):
    """(the connectors a call asks for, the summary of every connector it covered, counted before the
    name, connector_id and states filters)."""
    cluster_ids = list(cluster_ids)
    validate_query(cluster_ids, cluster_name, connector_id, states, fields)
    if cluster_name is not None:
        cluster_ids = [resolve_cluster_name(client, cluster_name)]
    if cluster_ids:
        connectors = [connector for listing in _connectors_of_each(client, cluster_ids) for connector in listing]
    elif connector_id is not None:
        connectors = [client.get_connector(connector_id)]
    else:
        account_ids = [validate_id(cluster.get("cluster_id"), "cluster_id in the clusters list") for cluster in client.list_clusters()]
        listings = _connectors_of_each(client, account_ids) if account_ids else []
        connectors = [connector if "cluster_id" in connector else dict(connector, cluster_id=cluster_id)
                      for cluster_id, listing in zip(account_ids, listings) for connector in listing]
    shaped = shape_connectors(connectors, name, connector_id, states, fields, redact_secrets)
    return shaped, summarize(connectors)


def read_connectors(client, params, _task):
    """The body of upstash_kafka_connector_info."""
    cluster_ids = [] if params["cluster_id"] is None else [params["cluster_id"]]
    query = dict((option, params[option]) for option in QUERY_OPTIONS)
    connectors, summary = query_connectors(client, cluster_ids, redact_secrets=params["redact"], **query)
    return dict(changed=False, connectors=connectors, summary=summary)


def read_clusters(client, params, _task):
    """The body of upstash_kafka_cluster_info: the account's clusters, only those with this id or name."""
    if params["cluster_id"] is not None:
        validate_id(params["cluster_id"], "cluster_id")
    clusters = [cluster for cluster in client.list_clusters()
                if params["cluster_id"] in (None, cluster.get("cluster_id")) and params["name"] in (None, cluster.get("name"))]
    return dict(changed=False, clusters=[redact(cluster) for cluster in clusters] if params["redact"] else clusters)


CONNECTOR_INFO = CollectionModule(dict(QUERY_OPTIONS, cluster_id=dict(type="str")), read_connectors,
                                  mutually_exclusive=[("cluster_id", "cluster_name")])
CLUSTER_INFO = CollectionModule(dict(cluster_id=dict(type="str"), name=dict(type="str")), read_clusters)
