# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module upstash_kafka_connector: bring one connector to the wanted state with as few calls as possible.

It reads the connector (GET), works out what differs (plan_properties, plan_running), sends one call
per difference unless in check mode, reads the connector back, and waits for it to settle if asked.

Private to this collection: not an interface for other collections or playbooks; it may change in
any release.
"""

from __future__ import annotations

import time

from ansible_collections.upstash.cloud.plugins.module_utils._api_client import (
    UpstashConfigError,
    UpstashError,
    UpstashHTTPError,
    validate_id,
)
from ansible_collections.upstash.cloud.plugins.module_utils._collection_module import CollectionModule, TaskFailure
from ansible_collections.upstash.cloud.plugins.module_utils._connectors import redact_connector, redact_value, secret_strings
from ansible_collections.upstash.cloud.plugins.module_utils._queries import resolve_cluster_name

# States a connector passes through on its way to running (or failed); wait polls until it leaves them.
TRANSITIONAL_STATES = frozenset(("pending", "creating", "starting", "restarting", "updating", "unassigned"))
POLL_FIRST = 0.5
POLL_MAX = 5.0
# A secret found in the API's data is hidden wherever else it appears only from this length on: a
# shorter value ("true", a port, "1") would mask the same text all over the output, and the value
# itself is masked in the data by redaction anyway.
SHORTEST_FOUND_SECRET = 6


def connector_argument_spec():
    """The module's options beside the shared ones; documented in plugins/modules/upstash_kafka_connector.py."""
    return dict(
        name=dict(type="str"),
        cluster_id=dict(type="str"),
        cluster_name=dict(type="str"),
        connector_id=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        properties=dict(type="dict"),
        update_secrets=dict(type="str", default="always", choices=["always", "on_create"], no_log=False),
        running_state=dict(type="str", choices=["running", "paused", "restarted"]),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="float", default=300.0),
    )


def property_secrets(params):
    """The strings of the task's properties that redaction would mask; any input is accepted."""
    properties = params.get("properties") if isinstance(params, dict) else None
    return secret_strings(properties) if isinstance(properties, dict) else set()


# --- what to change: pure functions ------------------------------------------------------------------------

def _as_text(value):
    # Kafka Connect keeps every property as a string; YAML's 1 and true mean "1" and "true".
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def same_value(wanted, current):
    return wanted == current or _as_text(wanted) == _as_text(current)


def _masked(key, value):
    """The value as redaction shows it."""
    return redact_value({key: value})[key]


def plan_properties(wanted, current, update_secrets="always"):
    """The properties to send so the connector has every wanted value; the API keeps the others.

    A value redaction would mask is a secret. An API that returns secrets masked (or not at all) cannot
    show whether they differ: with update_secrets=always they are sent every time, with on_create only
    when the connector is created.
    """
    current = current if isinstance(current, dict) else {}
    changes = {}
    for key, value in wanted.items():
        if key in current and same_value(value, current[key]):
            continue
        secret = _masked(key, value) != value
        if secret and update_secrets == "on_create":
            continue
        changes[key] = value
    return changes


def plan_running(running_state, state):
    """The call (pause, start, restart) that brings a connector in this state to running_state, or None."""
    state = (state or "").lower()
    if running_state == "restarted":
        return "restart"
    if running_state == "paused":
        return None if state == "paused" else "pause"
    if running_state == "running":
        if state == "paused":
            return "start"
        # Starting does not revive a failed connector; restarting does.
        if state == "failed":
            return "restart"
    return None


# --- talking to the API ------------------------------------------------------------------------------------

def _check_identity(params):
    if params["name"] is None and params["connector_id"] is None:
        raise UpstashConfigError("Give the connector's name (with cluster_id or cluster_name) or its connector_id.")
    if params["connector_id"] is None and params["cluster_id"] is None and params["cluster_name"] is None:
        raise UpstashConfigError("A connector name needs cluster_id or cluster_name to say which cluster it is in.")
    for option in ("cluster_id", "connector_id"):
        if params[option] is not None:
            validate_id(params[option], option)
    if params["name"] is not None and not params["name"].strip():
        raise UpstashConfigError("Invalid name: it must be a non-empty string.")
    if params["wait_timeout"] <= 0:
        raise UpstashConfigError("Invalid wait_timeout %r: it must be a number of seconds greater than 0." % params["wait_timeout"])


def _cluster_of(client, params):
    if params["cluster_id"] is not None:
        return params["cluster_id"]
    if params["cluster_name"] is not None:
        return resolve_cluster_name(client, params["cluster_name"])
    return None


def locate(client, params):
    """(cluster id, the connector as the API sent it, or None when there is none)."""
    if params["connector_id"] is not None:
        try:
            connector = client.get_connector(params["connector_id"])
        except UpstashHTTPError as exc:
            if exc.status != 404:
                raise
            connector = None
        if connector is not None:
            return connector.get("cluster_id"), connector
        return _cluster_of(client, params), None
    cluster_id = _cluster_of(client, params)
    found = [connector for connector in client.list_connectors(cluster_id) if connector.get("name") == params["name"]]
    if len(found) > 1:
        raise UpstashError("%d connectors of Kafka cluster %r are named %r; use connector_id to pick one."
                           % (len(found), cluster_id, params["name"]))
    return cluster_id, (found[0] if found else None)


def _hide_found_secrets(connector, task):
    task.hide(value for value in secret_strings(connector) if len(value) >= SHORTEST_FOUND_SECRET)


def _shown(connector, redact):
    if connector is None:
        return {}
    return redact_connector(connector) if redact else connector


def _diff_side(connector, state):
    if connector is None:
        return {}
    properties = connector.get("properties")
    return {"properties": _shown({"properties": properties}, True)["properties"] if properties is not None else {},
            "running_state": state}


def settling(connector):
    return str(connector.get("state", "")).lower() in TRANSITIONAL_STATES


def wait_until_settled(client, connector, timeout):
    """The connector once it has left the transitional states, or as it is when timeout seconds have passed."""
    deadline = time.monotonic() + timeout
    pause = POLL_FIRST
    while settling(connector):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(pause, left))
        pause = min(pause * 1.5, POLL_MAX)
        connector = client.get_connector(connector["connector_id"])
    return connector


_CALLS = {"pause": "pause_connector", "start": "start_connector", "restart": "restart_connector"}


def plan_calls(params, current):
    """The calls that bring the connector (None: absent) to what params want, in order, with the
    properties and running state they lead to: ([(call, payload), ...], properties, running state)."""
    wanted = params["properties"]
    if current is None:
        if wanted is None or params["name"] is None or (params["cluster_id"] is None and params["cluster_name"] is None):
            raise UpstashConfigError(
                "Kafka connector %s does not exist; creating it needs name, cluster_id or cluster_name, and properties."
                % (repr(params["name"]) if params["name"] is not None else repr(params["connector_id"])))
        if not wanted.get("connector.class"):
            raise UpstashConfigError("Creating Kafka connector %r needs the connector.class property." % params["name"])
        if params["running_state"] == "paused":
            return [("create", wanted), ("pause", None)], dict(wanted), "paused"
        return [("create", wanted)], dict(wanted), "pending"
    calls = []
    changes = plan_properties(wanted or {}, current.get("properties"), params["update_secrets"])
    state = str(current.get("state", "")).lower()
    if changes:
        calls.append(("update", changes))
        # The API restarts a reconfigured connector unless it is paused.
        state = "paused" if state == "paused" else "pending"
    action = plan_running(params["running_state"], state)
    if action:
        calls.append((action, None))
        state = {"pause": "paused", "start": "running", "restart": "restarted"}[action]
    return calls, dict(current.get("properties") or {}, **changes), state


def send_calls(client, calls, cluster_id, name, connector_id, task):
    """Send the planned calls; the connector read back after the last one."""
    for call, payload in calls:
        if call == "create":
            connector_id = client.create_connector(cluster_id, name, payload)["connector_id"]
        elif call == "update":
            client.update_connector(connector_id, payload)
        else:
            getattr(client, _CALLS[call])(connector_id)
        # Only once the API has confirmed it: a failed first call reports that nothing changed.
        task.changed = True
    return client.get_connector(connector_id)


def manage_connector(client, params, task):
    """The module's body: see the module's documentation."""
    _check_identity(params)
    redact = params["redact"]
    cluster_id, current = locate(client, params)
    if current is not None and redact:
        _hide_found_secrets(current, task)
    before = _diff_side(current, None if current is None else str(current.get("state", "")).lower())

    if params["state"] == "absent":
        if current is not None:
            if not task.check_mode:
                client.delete_connector(current["connector_id"])
            task.changed = True
        result = dict(changed=task.changed, connector={})
        if task.diff:
            result["diff"] = dict(before=before, after={})
        return result

    calls, after_properties, after_state = plan_calls(params, current)
    connector = current
    if calls and task.check_mode:
        task.changed = True
    elif calls:
        connector_id = None if current is None else current["connector_id"]
        connector = send_calls(client, calls, cluster_id, params["name"], connector_id, task)
    waited = params["wait"] and not task.check_mode and connector is not None
    if waited:
        connector = wait_until_settled(client, connector, params["wait_timeout"])
    if redact and connector is not None:
        _hide_found_secrets(connector, task)
    result = dict(changed=task.changed, connector=_shown(connector, redact))
    if task.diff:
        result["diff"] = dict(before=before, after=_diff_side({"properties": after_properties}, after_state))
    if waited and settling(connector):
        raise TaskFailure("Kafka connector %r was still %s after waiting %g seconds (wait_timeout)."
                          % (connector.get("name"), connector.get("state"), params["wait_timeout"]), **result)
    if waited and str(connector.get("state", "")).lower() == "failed":
        reason = " ".join(str(_shown(connector, True).get("state_error_message") or "no reason given").split())
        raise TaskFailure("Kafka connector %r is failed: %s" % (connector.get("name"), reason), **result)
    return result


CONNECTOR = CollectionModule(
    connector_argument_spec(),
    manage_connector,
    secrets=property_secrets,
    mutually_exclusive=[("cluster_id", "cluster_name")],
)
