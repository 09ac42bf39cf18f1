# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: upstash_kafka_connectors
short_description: Connectors of one or more Upstash Kafka clusters
version_added: 1.0.0
description:
  - Returns the connectors of each Kafka cluster given as a term, flattened in term order,
    through the Upstash Developer API (C(GET /v2/kafka/connectors/{cluster_id})).
  - Like every lookup it runs on the controller, ignores check mode, and runs again each time
    a lazily templated variable that uses it is evaluated.
author:
  - upstash.cloud maintainers (@upstash-cloud)
extends_documentation_fragment:
  - upstash.cloud.upstash
  - upstash.cloud.upstash.plugins
  - upstash.cloud.upstash.connector_filters
options:
  _terms:
    description:
      - One or more Kafka cluster ids (a list counts as several terms).
      - Each must be made only of letters, digits, C(-) and C(_); anything else is refused before any request.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Loop over every connector of a cluster
  ansible.builtin.debug:
    msg: "{{ item.name }} is {{ item.state }}"
  loop: "{{ query('upstash.cloud.upstash_kafka_connectors', '5ef8cf3e-8a9b-4e5a-9d3c-2b1f0a7c6d11') }}"

- name: Fail if any connector of two clusters is failed
  vars:
    connectors: "{{ query('upstash.cloud.upstash_kafka_connectors', cluster_a, cluster_b) }}"
  ansible.builtin.assert:
    that: connectors | selectattr('state', 'equalto', 'failed') | list | length == 0

- name: Render a report; credentials come from upstash_email / upstash_api_key variables
  ansible.builtin.template:
    src: connectors.md.j2
    dest: /tmp/connectors.md
    mode: "0644"
  # connectors.md.j2:
  # {% for c in query('upstash.cloud.upstash_kafka_connectors', cluster_id) %}
  # | {{ c.name }} | {{ c.state }} |
  # {% endfor %}

- name: One connector by name, with explicit options
  ansible.builtin.set_fact:
    mongo: >-
      {{ query('upstash.cloud.upstash_kafka_connectors', cluster_id,
               name='mongo-sink', api_url='http://127.0.0.1:8080', validate_certs=false) | first }}

- name: Keep going when the API is unreachable (the lookup returns an empty list with a warning)
  ansible.builtin.debug:
    msg: "{{ query('upstash.cloud.upstash_kafka_connectors', cluster_id, errors='warn') | length }}"
"""

RETURN = r"""
_list:
  description:
    - The connectors of every cluster in term order, each cluster's in API order, after the
      O(name) and O(connector_id) filters.
    - Every field the API sent is kept as sent, except that secrets are masked when O(redact=true).
      See the C(connectors) return value of M(upstash.cloud.upstash_kafka_connector_info) for the fields.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.module_utils.basic import missing_required_lib
from ansible.plugins.lookup import LookupBase

from ansible_collections.upstash.cloud.plugins.module_utils._api_client import (
    API_OPTION_NAMES,
    HAS_REQUESTS,
    UpstashError,
    client_from_options,
    validate_id,
)
from ansible_collections.upstash.cloud.plugins.module_utils._connectors import shape_connectors


def _flatten(terms):
    flat = []
    for term in terms:
        if isinstance(term, (list, tuple)):
            flat.extend(_flatten(term))
        else:
            flat.append(term)
    return flat


class LookupModule(LookupBase):
    def _option(self, name):
        value, origin = self.get_option_and_origin(name)
        # Values read from host/play variables arrive untemplated ("{{ vault_key }}").
        if isinstance(value, str) and str(origin).startswith("var"):
            value = self._templar.template(value)
        return value

    def run(self, terms, variables=None, **kwargs):
        if not HAS_REQUESTS:
            raise AnsibleLookupError(missing_required_lib("requests"))
        self.set_options(var_options=variables, direct=kwargs)

        cluster_ids = _flatten(terms)
        name = self.get_option("name")
        connector_id = self.get_option("connector_id")
        try:
            if not cluster_ids:
                raise UpstashError("No Kafka cluster id given: pass one or more cluster ids as terms.")
            for cluster_id in cluster_ids:
                validate_id(cluster_id, "cluster_id")
            if connector_id is not None:
                validate_id(connector_id, "connector_id")
            client = client_from_options(dict((option, self._option(option)) for option in API_OPTION_NAMES))
            connectors = []
            for cluster_id in cluster_ids:
                connectors.extend(client.list_connectors(cluster_id))
        except UpstashError as exc:
            raise AnsibleLookupError(str(exc))

        return shape_connectors(connectors, name=name, connector_id=connector_id, redact=self.get_option("redact"))
