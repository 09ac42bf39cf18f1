#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: upstash_kafka_connector
short_description: Create, reconfigure, pause, start, restart or delete an Upstash Kafka connector
version_added: 1.0.0
description:
  - Manages one connector of an Upstash Kafka cluster through the Upstash Developer API.
  - Reads the connector first (C(GET)) and sends only the calls needed to reach the wanted state, one call
    per difference, so running the same task twice reports a change only the first time
    (except with O(running_state=restarted), which always restarts).
  - Creates with C(POST /v2/kafka/connector), reconfigures with C(POST /v2/kafka/update-connector/{connector_id})
    (only the properties whose values differ), deletes with C(DELETE /v2/kafka/connector/{connector_id}),
    and pauses, starts or restarts with C(POST /v2/kafka/connector/{connector_id}/pause) (C(/start), C(/restart)).
  - A C(POST) or C(DELETE) is retried only when it certainly was not carried out (the connection failed
    before the request was sent, or the API answered 429 or 503), so a failure cannot create a connector twice.
  - A change the API confirmed is reported as changed, also when its answer was not what the API documents or a
    later call failed.
  - The task keyword C(timeout) ends the work on both ways the module runs (in the worker process or as a module
    process, for example with C(become) or on a remote host), and nothing is sent after the task has ended.
author:
  - upstash.cloud maintainers (@upstash-cloud)
extends_documentation_fragment:
  - upstash.cloud.upstash
  - upstash.cloud.upstash.connector_redaction
  - upstash.cloud.upstash.module
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
options:
  name:
    description:
      - Name of the connector, unique within its cluster.
      - Identifies the connector together with O(cluster_id) or O(cluster_name), unless O(connector_id) is given.
      - Required to create a connector.
      - The name is the connector's identity, and the API cannot rename a connector. A task with a new name
        therefore creates a second connector and leaves the old one running. To rename, create the connector under
        its new name in one task and delete the old one (O(state=absent)) in the next; see the lifecycle guide.
    type: str
  cluster_id:
    description:
      - Id of the Kafka cluster the connector belongs to.
      - Must be made only of letters, digits, C(-) and C(_); anything else is refused before any request.
      - Mutually exclusive with O(cluster_name).
    type: str
  cluster_name:
    description:
      - Name of the Kafka cluster the connector belongs to, resolved through the account's cluster list
        (C(GET /v2/kafka/clusters)); fails if no cluster or more than one has this name.
      - Mutually exclusive with O(cluster_id).
    type: str
  connector_id:
    description:
      - Id of the connector; identifies it without O(name) and a cluster.
      - Given together with O(name), O(cluster_id) or O(cluster_name), they must describe the same connector;
        otherwise the task fails before any change, naming what disagrees.
      - If no connector has this id, O(state=absent) has nothing to do, and O(state=present) creates the
        connector only if O(name), a cluster and O(properties) are given.
    type: str
  state:
    description:
      - V(present) creates the connector from O(properties) if it does not exist, or else sends the
        properties of O(properties) whose values differ from the connector's.
      - V(absent) deletes the connector if it exists. A connector deleted meanwhile by someone else (the
        C(DELETE) answered 404) is absent all the same. A 404 counts as "absent" only from an endpoint that has
        answered as the API does, so a wrong O(api_url) fails the task instead of reporting nothing to do.
    type: str
    choices: [present, absent]
    default: present
  properties:
    description:
      - Configuration of the connector, C(connector.class) included, as Kafka Connect takes it.
      - Required to create a connector. On an existing connector only the properties given here are
        compared and sent; properties not listed keep their values (the API cannot remove a property).
      - Kafka Connect configuration maps names to strings. Numbers and booleans are sent as strings
        (V(1) as V("1"), V(true) as V("true")), as Upstash's own clients send them, and compared so.
        A null, a list or a mapping as a value is refused before any request, naming the key.
      - Values that O(redact) would mask (keys such as C(connection.password), URL passwords, ...) are
        secrets; they never appear in the task's output at any verbosity (options shown as C(invocation),
        the diff, messages), whatever O(redact) says.
    type: dict
  update_secrets:
    description:
      - How secret values of O(properties) are compared, for APIs that return them masked or not at all.
      - V(always) sends a secret value when it differs from the connector's. A secret the API does not
        return in clear cannot be compared, so it is sent, and the task reports a change, on every run.
        The emulator, like the Upstash API, returns properties in clear, so tasks stay idempotent.
      - V(on_create) sets secret values only when the connector is created and never sends them to an
        existing connector, like O(ansible.builtin.user#module:update_password=on_create). Use it to keep
        tasks idempotent against an API that masks secrets; change a secret then with V(always) once.
    type: str
    choices: [always, on_create]
    default: always
  running_state:
    description:
      - V(running) starts a paused connector and restarts a failed one; a running or pending one is left alone.
      - V(paused) pauses the connector unless it is paused already.
      - V(restarted) restarts the connector every time and reports a change (a paused connector stays
        paused); a connector this task has just created is not restarted again.
      - Not set, the running state is left as it is. A reconfigured connector restarts, unless it is paused.
    type: str
    choices: [running, paused, restarted]
  wait:
    description:
      - Wait until the connector has left C(pending) and other transitional states, polling its state
        (C(GET /v2/kafka/connector/{connector_id})) with growing pauses of at most 5 seconds.
      - If it ends C(failed), the task fails with its C(state_error_message) (redacted).
      - Not done in check mode.
    type: bool
    default: false
  wait_timeout:
    description:
      - How many seconds O(wait) waits at most; then the task fails, saying the state the connector is in.
      - A deadline for the whole wait; polls, their retries and a C(Retry-After) from the API all end with it.
      - Greater than 0 and at most V(3600).
      - While waiting, each change of state and the time waited so far are shown at C(-v).
    type: float
    default: 300
attributes:
  check_mode:
    support: full
    details:
      - Sends only C(GET) requests and reports what would change.
  diff_mode:
    support: full
    details:
      - Shows the connector's C(properties) and C(running_state) before and after, secrets masked.
      - A secret property the task changes shows as V(******** (changed)) on the after side, so a reviewer sees
        that it changes without seeing either value.
      - The after side is what the calls sent lead to; a reconfigured or restarted connector shows
        C(pending) or C(restarted) until it settles.
seealso:
  - module: upstash.cloud.upstash_kafka_connector_info
    description: List connectors and their states, for example the failed ones to restart.
  - plugin: upstash.cloud.upstash_kafka_connectors
    plugin_type: lookup
    description: The connectors of one or more clusters in templates and loops.
"""

EXAMPLES = r"""
- name: Create a MongoDB sink connector (credentials from UPSTASH_EMAIL / UPSTASH_API_KEY) and wait until it runs
  upstash.cloud.upstash_kafka_connector:
    name: orders-to-mongo
    cluster_id: 5ef8cf3e-8a9b-4e5a-9d3c-2b1f0a7c6d11
    properties:
      connector.class: com.mongodb.kafka.connect.MongoSinkConnector
      connection.uri: "mongodb+srv://app:{{ vault_mongodb_password }}@cluster0.example.net/orders"
      database: orders
      collection: orders
      topics: orders
      tasks.max: 1
    wait: true
  register: created

- name: Change one property of an existing connector; the others keep their values
  upstash.cloud.upstash_kafka_connector:
    name: orders-to-mongo
    cluster_name: prod-events
    properties:
      tasks.max: 2

- name: Pause a connector by its id
  upstash.cloud.upstash_kafka_connector:
    connector_id: "{{ created.connector.connector_id }}"
    running_state: paused

- name: Start it again and wait until it runs
  upstash.cloud.upstash_kafka_connector:
    connector_id: "{{ created.connector.connector_id }}"
    running_state: running
    wait: true

- name: List the connectors of the account
  upstash.cloud.upstash_kafka_connector_info:
    fields: [connector_id, name, state]
  register: account

- name: Restart each failed connector and wait until it runs
  upstash.cloud.upstash_kafka_connector:
    connector_id: "{{ item.connector_id }}"
    running_state: restarted
    wait: true
    wait_timeout: 120
  loop: "{{ account.connectors | selectattr('state', 'equalto', 'failed') }}"
  loop_control:
    label: "{{ item.name }}"

- name: Against an API that returns secrets masked, set them only when creating the connector
  upstash.cloud.upstash_kafka_connector:
    name: orders-to-mongo
    cluster_id: 5ef8cf3e-8a9b-4e5a-9d3c-2b1f0a7c6d11
    properties:
      connector.class: com.mongodb.kafka.connect.MongoSinkConnector
      connection.uri: "mongodb+srv://app:{{ vault_mongodb_password }}@cluster0.example.net/orders"
    update_secrets: on_create

- name: Delete the connector
  upstash.cloud.upstash_kafka_connector:
    name: orders-to-mongo
    cluster_id: 5ef8cf3e-8a9b-4e5a-9d3c-2b1f0a7c6d11
    state: absent
"""

RETURN = r"""
connector:
  description:
    - The connector as the API returned it after the last call (C(GET /v2/kafka/connector/{connector_id})),
      or as found when nothing was changed or in check mode; after O(wait), as it settled.
    - Secrets are masked as in M(upstash.cloud.upstash_kafka_connector_info) when O(redact=true), and
      the values of secret O(properties) are masked whatever O(redact) says.
    - An empty dictionary when the connector is absent, or would be created in check mode.
    - Every field the API sent is kept; see the info module's C(connectors) for their meaning.
  returned: when the task succeeds, and when O(wait) ends with the connector failed or still in a transitional state
  type: dict
  sample:
    connector_id: b3JkZXJzLXRvLW1vbmdv
    name: orders-to-mongo
    cluster_id: 5ef8cf3e-8a9b-4e5a-9d3c-2b1f0a7c6d11
    state: running
    state_error_message: ""
    connector_state: RUNNING
    tasks: [{"id": 0, "state": "RUNNING", "trace": ""}]
    topics: [orders]
    connector_class: com.mongodb.kafka.connect.MongoSinkConnector
    properties:
      connector.class: com.mongodb.kafka.connect.MongoSinkConnector
      connection.uri: "mongodb+srv://app:********@cluster0.example.net/orders"
      topics: orders
      tasks.max: "1"
diff:
  description:
    - With C(--diff), the connector's C(properties) (secrets masked) and C(running_state) before and after.
    - The after side of a connector the task deletes is empty, as is the before side of one it creates.
  returned: when diff mode is on
  type: dict
  sample:
    before: {properties: {tasks.max: "1"}, running_state: failed}
    after: {properties: {tasks.max: "2"}, running_state: pending}
waited:
  description: How many seconds O(wait) waited for the connector to settle.
  returned: when O(wait) ran
  type: float
  sample: 4.5
status:
  description: The HTTP status of the answer that made the task fail, when an answer did.
  returned: on failure, when the API answered with an error status
  type: int
  sample: 400
"""

from ansible_collections.upstash.cloud.plugins.module_utils._lifecycle import CONNECTOR
from ansible_collections.upstash.cloud.plugins.module_utils._module import run_module


def main():
    run_module(CONNECTOR)


if __name__ == "__main__":
    main()
