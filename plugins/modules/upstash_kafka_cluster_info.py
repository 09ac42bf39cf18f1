#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: upstash_kafka_cluster_info
short_description: List the Kafka clusters of an Upstash account
version_added: 1.0.0
description:
  - Lists the Kafka clusters of the account through the Upstash Developer API
    (C(GET /v2/kafka/clusters)), for example to find a cluster's id from its name or to loop over
    every cluster.
  - Read-only; never changes anything.
author:
  - upstash.cloud maintainers (@upstash-cloud)
extends_documentation_fragment:
  - upstash.cloud.upstash
  - upstash.cloud.upstash.cluster_redaction
  - upstash.cloud.upstash.info_module
  - upstash.cloud.upstash.module
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
options:
  cluster_id:
    description:
      - Only return the cluster with this id.
      - Must be made only of letters, digits, C(-) and C(_); anything else is refused before any request.
    type: str
  name:
    description:
      - Only return clusters with exactly this name.
    type: str
seealso:
  - module: upstash.cloud.upstash_kafka_connector_info
    description: The connectors of a cluster, or of every cluster of the account.
  - plugin: upstash.cloud.upstash_kafka_connectors
    plugin_type: lookup
    description: The connectors of one or more clusters in a template, a loop or a variable.
  - module: upstash.cloud.upstash_kafka_connector
    description: Create, reconfigure, pause, start, restart or delete a connector of a cluster.
"""

EXAMPLES = r"""
- name: List every Kafka cluster of the account
  upstash.cloud.upstash_kafka_cluster_info:
  register: kafka

- name: Show where each cluster lives
  ansible.builtin.debug:
    msg: "{{ item.name }} ({{ item.cluster_id }}) in {{ item.region }}"
  loop: "{{ kafka.clusters }}"

- name: The id of the cluster named prod-events
  upstash.cloud.upstash_kafka_cluster_info:
    name: prod-events
  register: prod
"""

RETURN = r"""
clusters:
  description:
    - The Kafka clusters of the account in the order the API sent them, after the O(cluster_id)
      and O(name) filters.
    - Every field the API sent is kept; C(password) is C(********) when O(redact=true).
  returned: success
  type: list
  elements: dict
  contains:
    cluster_id:
      description: Id of the cluster.
      type: str
      returned: always
      sample: 7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01
    name:
      description: Name of the cluster.
      type: str
      returned: always
      sample: prod-events
    region:
      description: Region the cluster runs in.
      type: str
      returned: when sent by the API
      sample: eu-west-1
    type:
      description: Plan of the cluster.
      type: str
      returned: when sent by the API
      sample: paid
    multizone:
      description: Whether the cluster is replicated across zones.
      type: bool
      returned: when sent by the API
      sample: false
    tcp_endpoint:
      description: Kafka protocol endpoint.
      type: str
      returned: when sent by the API
      sample: prod-events-kafka.upstash.io
    rest_endpoint:
      description: REST endpoint.
      type: str
      returned: when sent by the API
      sample: prod-events-rest-kafka.upstash.io
    state:
      description: State of the cluster.
      type: str
      returned: when sent by the API
      sample: active
    username:
      description: User name for the Kafka endpoints.
      type: str
      returned: when sent by the API
      sample: cHJvZC1ldmVudHM
    password:
      description: Password for the Kafka endpoints; C(********) when O(redact=true).
      type: str
      returned: when sent by the API
      sample: "********"
    max_retention_size:
      description: Most bytes the cluster keeps, over all its topics.
      type: int
      returned: when sent by the API
      sample: 107374182400
    max_retention_time:
      description: Longest time the cluster keeps a message, in milliseconds.
      type: int
      returned: when sent by the API
      sample: 2592000000
    max_messages_per_second:
      description: Most messages per second the cluster accepts.
      type: int
      returned: when sent by the API
      sample: 1000
    max_message_size:
      description: Largest message the cluster accepts, in bytes.
      type: int
      returned: when sent by the API
      sample: 1048576
    max_partitions:
      description: Most partitions the cluster can hold.
      type: int
      returned: when sent by the API
      sample: 100
    creation_time:
      description: When the cluster was created, in seconds since the epoch.
      type: int
      returned: when sent by the API
      sample: 1700000000
status:
  description: The HTTP status of the API's answer that made the task fail.
  returned: on failure, when the API answered with an error status
  type: int
  sample: 401
"""

from ansible_collections.upstash.cloud.plugins.module_utils._connectors import CLUSTER_INFO
from ansible_collections.upstash.cloud.plugins.module_utils._module import run_module


def main():
    run_module(CLUSTER_INFO)


if __name__ == "__main__":
    main()
