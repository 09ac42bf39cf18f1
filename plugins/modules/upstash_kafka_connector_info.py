#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: upstash_kafka_connector_info
short_description: List the connectors of Upstash Kafka clusters
version_added: 1.0.0
description:
  - Lists the connectors of an Upstash Kafka cluster through the Upstash Developer API
    (C(GET /v2/kafka/connectors/{cluster_id})) and returns them as facts to assert against,
    loop over or render in templates.
  - Without O(cluster_id) and O(cluster_name), lists the connectors of every Kafka cluster of the
    account (clusters are queried concurrently), or, when O(connector_id) is given, fetches that one connector.
  - Read-only; never changes anything.
author:
  - upstash.cloud maintainers (@upstash-cloud)
extends_documentation_fragment:
  - upstash.cloud.upstash
  - upstash.cloud.upstash.connector_redaction
  - upstash.cloud.upstash.connector_query
  - upstash.cloud.upstash.info_module
  - upstash.cloud.upstash.module
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
options:
  cluster_id:
    description:
      - Id of the Kafka cluster whose connectors are listed.
      - Must be made only of letters, digits, C(-) and C(_); anything else is refused before any request.
      - Mutually exclusive with O(cluster_name).
    type: str
seealso:
  - plugin: upstash.cloud.upstash_kafka_connectors
    plugin_type: lookup
    description: The same connectors in a template, a loop or a variable.
  - module: upstash.cloud.upstash_kafka_cluster_info
    description: The Kafka clusters of the account, to find a cluster's id or to loop over clusters.
  - module: upstash.cloud.upstash_kafka_connector
    description: Act on what a check finds, for example restart the failed connectors.
  - ref: ansible_collections.upstash.cloud.docsite.guide_module_vs_lookup
    description: When to use the module and when the lookup.
"""

EXAMPLES = r"""
- name: List every connector of a cluster (credentials from UPSTASH_EMAIL / UPSTASH_API_KEY)
  upstash.cloud.upstash_kafka_connector_info:
    cluster_id: 5ef8cf3e-8a9b-4e5a-9d3c-2b1f0a7c6d11
  register: kafka

- name: Only the failed connectors of the account, and a count of every connector by state
  upstash.cloud.upstash_kafka_connector_info:
    states: [failed]
    fields: [cluster_id, name, state_error_message]
  register: failed

- name: Compliance check, fail the play if any connector is failed
  ansible.builtin.assert:
    that: failed.summary.by_state.failed | default(0) == 0
    fail_msg: >-
      {{ failed.summary.by_state.failed | default(0) }} of {{ failed.summary.total }} connectors failed:
      {{ failed.connectors | map(attribute='name') | join(', ') }}

- name: Only the connector named mongo-sink
  upstash.cloud.upstash_kafka_connector_info:
    cluster_id: 5ef8cf3e-8a9b-4e5a-9d3c-2b1f0a7c6d11
    name: mongo-sink
    email: ops@example.com
    api_key: "{{ vault_upstash_api_key }}"
  register: mongo

- name: Connectors that are neither running nor paused, in any case the API writes them
  upstash.cloud.upstash_kafka_connector_info:
    cluster_id: 5ef8cf3e-8a9b-4e5a-9d3c-2b1f0a7c6d11
    states: [failed, pending, unassigned]
    fields: [name, state]
  register: unhealthy

- name: A cluster by name, only the keys needed
  upstash.cloud.upstash_kafka_connector_info:
    cluster_name: prod-events
    fields: [name, state, tasks]
  register: prod

- name: One connector by id, without knowing its cluster
  upstash.cloud.upstash_kafka_connector_info:
    connector_id: cHJvZC1ldmVudHMvcGctc291cmNl
  register: one

- name: Set credentials once for every upstash.cloud module in a block
  module_defaults:
    group/upstash.cloud.upstash:
      email: ops@example.com
      api_key: "{{ vault_upstash_api_key }}"
  block:
    - name: List connectors
      upstash.cloud.upstash_kafka_connector_info:
        cluster_id: 5ef8cf3e-8a9b-4e5a-9d3c-2b1f0a7c6d11
      register: kafka
"""

RETURN = r"""
connectors:
  description:
    - The connectors in the order the API sent them, cluster after cluster in the order of the
      account's cluster list when no cluster is given, after the O(name), O(connector_id) and O(states) filters.
    - With O(fields), only those keys.
    - Every field the API sent is kept as sent, including fields not listed here, except that
      secrets are masked when O(redact=true).
  returned: success
  type: list
  elements: dict
  contains:
    connector_id:
      description: Id of the connector.
      type: str
      returned: always, unless O(fields) leaves it out
      sample: 2b9c4e1a-7f3d-4c8e-9a1b-6d5e4f3a2b1c
    name:
      description: Name of the connector.
      type: str
      returned: always, unless O(fields) leaves it out
      sample: mongo-sink
    cluster_id:
      description:
        - Id of the Kafka cluster the connector belongs to.
        - When the call covers the whole account (no O(cluster_id), O(cluster_name) or
          O(connector_id)), it is added to each connector the API sent without it.
      type: str
      returned: when sent by the API, and always for the whole account; unless O(fields) leaves it out
      sample: 5ef8cf3e-8a9b-4e5a-9d3c-2b1f0a7c6d11
    customer_id:
      description: Account the connector belongs to.
      type: str
      returned: when sent by the API
      sample: ops@example.com
    creation_time:
      description: When the connector was created, in seconds since the epoch.
      type: int
      returned: when sent by the API
      sample: 1700000000
    deletion_time:
      description: When the connector was deleted, in seconds since the epoch, or V(0).
      type: int
      returned: when sent by the API
      sample: 0
    state:
      description: State of the connector, such as C(running), C(failed), C(paused) or C(pending).
      type: str
      returned: always, unless O(fields) leaves it out
      sample: running
    state_error_message:
      description: Why the connector is in its state, when it failed; empty otherwise.
      type: str
      returned: when sent by the API
      sample: ""
    connector_state:
      description: State reported by the Kafka Connect runtime, empty while the connector is pending.
      type: str
      returned: when sent by the API
      sample: RUNNING
    tasks:
      description: Tasks of the connector; V(null) for connectors the API has no details of.
      type: list
      elements: dict
      returned: when sent by the API
      contains:
        id:
          description: Number of the task.
          type: int
          returned: always
          sample: 0
        state:
          description: State of the task, such as C(RUNNING), C(FAILED) or C(PAUSED).
          type: str
          returned: always
          sample: RUNNING
        trace:
          description: Stack trace of a failed task; empty otherwise.
          type: str
          returned: always
          sample: ""
    topics:
      description: Topics the connector reads or writes; V(null) for connectors the API has no details of.
      type: list
      elements: str
      returned: when sent by the API
      sample: ["orders"]
    connector_class:
      description: Java class of the connector.
      type: str
      returned: when sent by the API
      sample: com.mongodb.kafka.connect.MongoSinkConnector
    properties:
      description:
        - Configuration of the connector; secret values are masked when O(redact=true).
        - V(null) for connectors the API has no details of.
      type: dict
      returned: when sent by the API
      sample: {"connection.uri": "mongodb+srv://appuser:********@cluster0.example.net/db"}
    properties_encrypted:
      description: The connector's properties as the API keeps them encrypted; opaque to the collection.
      type: str
      returned: when sent by the API
      sample: "ZW5jcnlwdGVkLXByb3BlcnRpZXM="
    encoded_username:
      description: Encoded user name the connector runs as.
      type: str
      returned: when sent by the API
      sample: dXNlcg==
    user_password:
      description: Password of the connector user; C(********) when O(redact=true).
      type: str
      returned: when sent by the API
      sample: "********"
    TTL:
      description:
        - When the API drops a connector that has not started, in seconds since the epoch;
          V(0) for a connector that has no such deadline.
      type: int
      returned: when sent by the API
      sample: 1700019800
summary:
  description:
    - Counts of every connector the call covered (the cluster, the clusters of the account, or the one
      connector), before the O(name), O(connector_id) and O(states) filters.
    - A check can assert on it without moving the connectors themselves, for example that
      C(summary.by_state) has no C(failed) key.
  returned: success
  type: dict
  contains:
    total:
      description: How many connectors the call covered.
      type: int
      returned: success
      sample: 20000
    by_state:
      description:
        - How many of them are in each state, keyed by the lower-case state; states no connector is in are absent.
        - A connector without a state counts in RV(summary.total) only.
      type: dict
      returned: success
      sample: {"running": 19793, "failed": 207}
status:
  description: The HTTP status of the API's answer that made the task fail.
  returned: on failure, when the API answered with an error status
  type: int
  sample: 401
"""

from ansible_collections.upstash.cloud.plugins.module_utils._connectors import CONNECTOR_INFO
from ansible_collections.upstash.cloud.plugins.module_utils._module import run_module


def main():
    run_module(CONNECTOR_INFO)


if __name__ == "__main__":
    main()
