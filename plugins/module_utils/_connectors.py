# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure functions over the API's connector and cluster objects: filtering and redaction. No I/O."""

from __future__ import annotations

import re

REDACTED = "********"

# Lower-case fragments of a property key that mark its value as a secret.
SECRET_KEY_MARKERS = (
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "apikey",
    "api.key",
    "api_key",
    "private.key",
    "access.key",
    "jaas",
)

# scheme://user:password@host... ; the password may hold ':' or '@', the host part may not
# hold '@', so the match ends at the last '@' before the host.
# The lookbehind makes only the start of a scheme a candidate, which keeps long texts linear.
_URL_PASSWORD = re.compile(
    r"(?<![A-Za-z0-9+.\-])(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s]*:)(?P<password>[^/?#\s]+)@(?=[^@/?#\s]*(?:[/?#\s]|$))"
)


def is_secret_key(key):
    lowered = str(key).lower()
    return any(marker in lowered for marker in SECRET_KEY_MARKERS)


def mask_url_passwords(text):
    """Replace the password of every URL in text by REDACTED, keeping scheme, user, host, path and query."""
    if "://" not in text:
        return text
    return _URL_PASSWORD.sub(lambda match: match.group("head") + REDACTED + "@", text)


def _redact_value(value):
    if isinstance(value, str):
        return mask_url_passwords(value)
    if isinstance(value, dict):
        return _redact_properties(value)
    if isinstance(value, list):
        return [_redact_value(item) for item in value]
    return value


def _redact_properties(properties):
    redacted = {}
    for key, value in properties.items():
        if value is not None and is_secret_key(key):
            redacted[key] = REDACTED
        else:
            redacted[key] = _redact_value(value)
    return redacted


# The only top-level connector keys redact_connector() changes.
KEYS_REDACTION_TOUCHES = frozenset(("properties", "user_password"))


def redact_connector(connector):
    """A copy of one connector with its secrets masked; every key is kept."""
    redacted = dict(connector)
    properties = connector.get("properties")
    if isinstance(properties, (dict, list)):
        # A list is not what the API documents, but its secrets are still secrets.
        redacted["properties"] = _redact_value(properties)
    if redacted.get("user_password") is not None:
        redacted["user_password"] = REDACTED
    return redacted


def redact_cluster(cluster):
    """A copy of one cluster with its password masked; every key is kept."""
    redacted = dict(cluster)
    if redacted.get("password") is not None:
        redacted["password"] = REDACTED
    return redacted


def select_connectors(connectors, name=None, connector_id=None):
    """The connectors matching every filter given, in their original order."""
    return [
        connector
        for connector in connectors
        if (name is None or connector.get("name") == name)
        and (connector_id is None or connector.get("connector_id") == connector_id)
    ]


def project(items, fields):
    """Only the given keys of each item (those it has), in the item's own key order."""
    wanted = frozenset(fields)
    return [{key: value for key, value in item.items() if key in wanted} for item in items]


def shape_connectors(connectors, name=None, connector_id=None, fields=None, redact=True):
    """Filter, project, then redact: what the module and the lookup hand back to a playbook."""
    selected = select_connectors(connectors, name=name, connector_id=connector_id)
    if fields is not None:
        selected = project(selected, fields)
        if not KEYS_REDACTION_TOUCHES.intersection(fields):
            # Nothing redaction would mask survived the projection, which already made fresh copies.
            return selected
    if not redact:
        return selected
    return [redact_connector(connector) for connector in selected]


def shape_clusters(clusters, cluster_id=None, name=None, redact=True):
    """Filter by id and name, then redact each password."""
    selected = [
        cluster
        for cluster in clusters
        if (cluster_id is None or cluster.get("cluster_id") == cluster_id) and (name is None or cluster.get("name") == name)
    ]
    if not redact:
        return selected
    return [redact_cluster(cluster) for cluster in selected]
