# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module upstash_kafka_connector: read the connector, send one call per difference (plan_calls)
unless in check mode, read it back, and wait for it to settle if asked. A change the API confirmed is
reported as changed whatever happens after it; nothing is sent twice.
"""

from __future__ import annotations

import math
import time

from ansible_collections.upstash.cloud.plugins.module_utils._api import bounded_seconds, validate_id
from ansible_collections.upstash.cloud.plugins.module_utils._connectors import TRANSITIONAL_STATES, resolve_cluster_name, state_of
from ansible_collections.upstash.cloud.plugins.module_utils._errors import NotFound, UpstashError, plain_type, quoted, words
from ansible_collections.upstash.cloud.plugins.module_utils._module import CollectionModule
from ansible_collections.upstash.cloud.plugins.module_utils._secrets import MASK, redact

POLL_FIRST = 0.5
_AFTER_ACTION = {"pause": "paused", "start": "running", "restart": "restarted"}


# The module's options beside the shared ones; documented in plugins/modules/upstash_kafka_connector.py.
CONNECTOR_OPTIONS = dict(
    name=dict(type="str"), cluster_id=dict(type="str"), cluster_name=dict(type="str"), connector_id=dict(type="str"),
    state=dict(type="str", default="present", choices=["present", "absent"]), properties=dict(type="dict"),
    update_secrets=dict(type="str", default="always", choices=["always", "on_create"], no_log=False),
    running_state=dict(type="str", choices=["running", "paused", "restarted"]),
    wait=dict(type="bool", default=False), wait_timeout=dict(type="float", default=300.0),
)


def as_configuration(properties):
    """The properties as Kafka Connect holds them, string to string: numbers and booleans as the API's
    own clients send them, anything else refused before any request, naming the key."""
    configuration = {}
    for key, value in properties.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
            value = str(value)
        if not isinstance(key, str) or not isinstance(value, str):
            problem = ("name is not a string" if not isinstance(key, str) else
                       "value is a non-finite number" if isinstance(value, float) else "value is %s" % plain_type(value))
            raise UpstashError("Invalid property %s: Kafka Connect configuration maps names (strings) to strings, numbers or "
                               "booleans, and this %s." % (quoted(key), problem))
        configuration[key] = value
    return configuration


def _is_secret(key, value):
    return redact({key: value})[key] != value


def plan_properties(wanted, current, update_secrets="always"):
    """The properties to send so the connector has every wanted value (the API keeps the others). A
    secret the API returns masked cannot be compared: it is sent every time, or with update_secrets=on_create
    only on creation."""
    current = current if isinstance(current, dict) else {}
    return dict((key, value) for key, value in wanted.items()
                if not (key in current and str(current[key]) == value) and not (update_secrets == "on_create" and _is_secret(key, value)))


def plan_running(running_state, state):
    """The action (pause, start, restart) that brings a connector in this state to running_state, or None."""
    if running_state == "restarted":
        return "restart"
    if running_state == "paused":
        return None if state == "paused" else "pause"
    if running_state == "running" and state in ("paused", "failed"):
        # Starting does not revive a failed connector; restarting does.
        return "start" if state == "paused" else "restart"
    return None


def plan_calls(params, current):
    """The calls that bring the connector (None: absent) to what params want, in order, with the
    properties and running state they lead to: ([(call, payload), ...], properties, state)."""
    wanted = params["properties"]
    if current is None:
        if wanted is None or params["name"] is None or (params["cluster_id"] is None and params["cluster_name"] is None):
            raise UpstashError("Kafka connector %s does not exist; creating it needs name, cluster_id or cluster_name, and properties."
                               % quoted(params["name"] if params["name"] is not None else params["connector_id"]))
        if not wanted.get("connector.class"):
            raise UpstashError("Creating Kafka connector %s needs the connector.class property." % quoted(params["name"]))
        if params["running_state"] == "paused":
            return [("create", wanted), ("pause", None)], wanted, "paused"
        return [("create", wanted)], wanted, "pending"
    calls = []
    changes = plan_properties(wanted or {}, current.get("properties"), params["update_secrets"])
    state = state_of(current)
    if changes:
        calls.append(("update", changes))
        # The API restarts a reconfigured connector unless it is paused.
        state = "paused" if state == "paused" else "pending"
    action = plan_running(params["running_state"], state)
    if action:
        calls.append((action, None))
        state = _AFTER_ACTION[action]
    return calls, dict(current.get("properties") or {}, **changes), state


def _checked(connector, what, status=200):
    """A connector object as the lifecycle relies on it, or one sentence naming what is wrong with it."""
    if not isinstance(connector, dict):
        problem = "is not a JSON object"
    elif not isinstance(connector.get("connector_id"), str) or not connector["connector_id"]:
        problem = "has no connector_id"
    elif connector.get("properties") is not None and not isinstance(connector["properties"], dict):
        problem = "has properties that are not a JSON object"
    else:
        try:
            validate_id(connector["connector_id"], "connector_id")
            return connector
        except UpstashError as exc:
            problem = "has an unusable connector_id (%s)" % exc
    raise UpstashError("The API's answer for %s %s; it is not a connector as the API describes one." % (what, problem), status)


def _check_options(params):
    if params["name"] is None and params["connector_id"] is None:
        raise UpstashError("Give the connector's name (with cluster_id or cluster_name) or its connector_id.")
    if params["connector_id"] is None and params["cluster_id"] is None and params["cluster_name"] is None:
        raise UpstashError("A connector name needs cluster_id or cluster_name to say which cluster it is in.")
    for option in ("cluster_id", "connector_id"):
        if params[option] is not None:
            validate_id(params[option], option)
    if params["name"] is not None and not params["name"].strip():
        raise UpstashError("Invalid name: it must be a non-empty string.")
    if params["properties"] is not None:
        params["properties"] = as_configuration(params["properties"])
    bounded_seconds(params["wait_timeout"], "wait_timeout")


def locate(client, params):
    """(cluster id, the connector as the API sent it, or None when there is none)."""
    cluster_id = params["cluster_id"]
    if cluster_id is None and params["cluster_name"] is not None:
        cluster_id = resolve_cluster_name(client, params["cluster_name"])
    if params["connector_id"] is not None:
        try:
            connector = _checked(client.get_connector(params["connector_id"]), "connector %s" % quoted(params["connector_id"]))
        except NotFound:
            named = _named(client, cluster_id, params["name"]) if params["name"] is not None and cluster_id is not None else None
            if named is not None:
                raise UpstashError("No Kafka connector has the id %s, and the one named %s has the id %s; nothing was changed."
                                   % (quoted(params["connector_id"]), quoted(params["name"]), quoted(named["connector_id"])))
            return cluster_id, None
        wanted_cluster = cluster_id if params["cluster_name"] is None else "%s (%s)" % (params["cluster_name"], cluster_id)
        wrong = [(option, shown, connector.get(key)) for option, key, wanted, shown in
                 (("name", "name", params["name"], params["name"]), ("cluster", "cluster_id", cluster_id, wanted_cluster))
                 if wanted is not None and connector.get(key) != wanted]
        if wrong:
            raise UpstashError("Kafka connector %s does not match the task: %s; nothing was changed." % (quoted(params["connector_id"]), "; ".join(
                "its %s is %s, not %s" % (option, quoted(found), quoted(wanted)) for option, wanted, found in wrong)))
        return connector.get("cluster_id"), connector
    return cluster_id, _named(client, cluster_id, params["name"])


def _named(client, cluster_id, name):
    """The one connector of the cluster with this name, or None."""
    found = [connector for connector in client.list_connectors(cluster_id) if connector.get("name") == name]
    if len(found) > 1:
        raise UpstashError("%d connectors of Kafka cluster %s are named %s; use connector_id to pick one."
                           % (len(found), quoted(cluster_id), quoted(name)))
    return _checked(found[0], "the connector named %s" % quoted(name)) if found else None


def _diff_side(properties, state, changed_secrets=()):
    shown = redact(properties or {})
    shown.update((key, MASK + " (changed)") for key in changed_secrets)
    return {"properties": shown, "running_state": state}


def send_calls(client, calls, cluster_id, name, connector_id, task):
    """Send the planned calls; the connector read back after the last one."""
    for call, payload in calls:
        try:
            if call == "create":
                created = client.create_connector(cluster_id, name, payload)
                task.changed = True
                connector_id = _checked(created, "the new connector %s" % quoted(name), client.last_status)["connector_id"]
            elif call == "update":
                client.update_connector(connector_id, payload)  # answered with the connector, "OK" or else: the status says
            else:
                client.act(connector_id, call)
        except UpstashError as exc:
            # A 2xx status whose answer was odd still says the API acted.
            task.changed = task.changed or (exc.status is not None and exc.status < 300)
            raise
        task.changed = True
    return _checked(client.get_connector(connector_id), "connector %s" % quoted(connector_id))


def wait_until_settled(client, connector, seconds, task):
    """The connector once it has left the transitional states, or as last seen when seconds have passed;
    polls, retries and Retry-After pauses all end with the wait."""
    started = time.monotonic()
    pause, state = POLL_FIRST, state_of(connector)
    task.progress("Waiting up to %g s for Kafka connector %s: %s." % (seconds, quoted(connector.get("name")), state))
    # Nothing is sent, retried or waited for once the wait is over; the client is the task's own.
    client.call.end = started + seconds if client.call.end is None else min(client.call.end, started + seconds)
    while state_of(connector) in TRANSITIONAL_STATES and client.call.time_left() > 0:
        try:
            client.call.pause(pause)
            connector = _checked(client.get_connector(connector["connector_id"]), "connector %s" % quoted(connector["connector_id"]))
        except Exception:  # pylint: disable=broad-exception-caught
            if client.call.time_left() > 0:
                raise
            break
        pause = min(pause * 1.5, 5.0)
        if state_of(connector) != state:
            state = state_of(connector)
            task.progress("Kafka connector %s is %s after %.1f s." % (quoted(connector.get("name")), state, time.monotonic() - started))
    return connector, round(time.monotonic() - started, 1)


def manage_connector(client, params, task):
    """The module's body: see the module's documentation."""
    _check_options(params)
    redact_secrets = params["redact"]
    cluster_id, current = locate(client, params)
    if current is not None and redact_secrets:
        task.hide_secrets_of(current)
    before = {} if current is None else _diff_side(current.get("properties"), state_of(current))

    if params["state"] == "absent":
        if current is not None:
            try:
                if not task.check_mode:
                    client.delete_connector(current["connector_id"])
                task.changed = True
            except NotFound:  # deleted meanwhile: absent is reached all the same
                pass
        result = dict(changed=task.changed, connector={})
        if task.diff:
            result["diff"] = dict(before=before, after={})
        return result

    calls, after_properties, after_state = plan_calls(params, current)
    connector, result = current, {}
    if calls and task.check_mode:
        task.changed = True
    elif calls:
        connector = send_calls(client, calls, cluster_id, params["name"], None if current is None else current["connector_id"], task)
    if params["wait"] and not task.check_mode and connector is not None:
        connector, result["waited"] = wait_until_settled(client, connector, params["wait_timeout"], task)
    if redact_secrets and connector is not None:
        task.hide_secrets_of(connector)
    result.update(changed=task.changed, connector={} if connector is None else redact(connector) if redact_secrets else connector)
    if task.diff:
        changed_secrets = [key for call, payload in calls if call in ("create", "update") and current is not None
                           for key, value in payload.items() if _is_secret(key, value)]
        result["diff"] = dict(before=before, after=_diff_side(after_properties, after_state, changed_secrets))
    if "waited" in result and state_of(connector) in TRANSITIONAL_STATES:
        raise UpstashError("Kafka connector %s was still %s after waiting %g seconds (wait_timeout)."
                           % (quoted(connector.get("name")), quoted(connector.get("state")), params["wait_timeout"]), result=result)
    if "waited" in result and state_of(connector) == "failed":
        reason = words(str(connector.get("state_error_message") or "no reason given"), client.credential)
        raise UpstashError("Kafka connector %s is failed: %s" % (quoted(connector.get("name")), reason), result=result)
    return result


CONNECTOR = CollectionModule(CONNECTOR_OPTIONS, manage_connector, mutually_exclusive=[("cluster_id", "cluster_name")])
