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
  - Without terms, returns the connectors of the cluster named O(cluster_name), or the one
    connector O(connector_id), or else of every Kafka cluster of the account (queried concurrently).
  - Like every lookup it runs on the controller, ignores check mode, and runs again each time
    a lazily templated variable that uses it is evaluated.
author:
  - upstash.cloud maintainers (@upstash-cloud)
extends_documentation_fragment:
  - upstash.cloud.upstash
  - upstash.cloud.upstash.plugins
  - upstash.cloud.upstash.connector_redaction
  - upstash.cloud.upstash.connector_query
options:
  _terms:
    description:
      - Kafka cluster ids (a list counts as several terms); none means the whole account.
      - Each must be made only of letters, digits, C(-) and C(_); anything else is refused before any request.
    type: list
    elements: str
  cluster_id:
    description:
      - One more Kafka cluster id, after those given as terms, for those who write the option as the
        modules name it (C(cluster_id='...')).
    type: str
    version_added: 1.1.0
  cache_ttl:
    description:
      - Seconds during which a repeated lookup of the same cluster with the same API URL and
        credentials, in the same Ansible process, is answered from memory instead of the API.
      - Ansible templates lazily, so a variable or template that uses this lookup many times would
        otherwise send one request per use. The trade-off is that a change made in the API within
        this window is not seen. V(0) disables the memory.
    type: float
    default: 5
    ini:
      - section: upstash_cloud
        key: cache_ttl
seealso:
  - module: upstash.cloud.upstash_kafka_connector_info
    description: The same connectors as a task result, with check mode and C(module_defaults).
  - module: upstash.cloud.upstash_kafka_cluster_info
    description: The Kafka clusters of the account, to find a cluster's id or to loop over clusters.
  - module: upstash.cloud.upstash_kafka_connector
    description: Create, reconfigure, pause, start, restart or delete a connector.
  - ref: ansible_collections.upstash.cloud.docsite.guide_module_vs_lookup
    description: When to use the module and when the lookup.
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

- name: Audit every cluster of the account
  ansible.builtin.assert:
    that: query('upstash.cloud.upstash_kafka_connectors', states=['failed'], fields=['name']) | length == 0

- name: A cluster by name, fresh from the API every time
  ansible.builtin.debug:
    msg: "{{ query('upstash.cloud.upstash_kafka_connectors', cluster_name='prod-events', cache_ttl=0) | map(attribute='name') }}"

- name: Keep going when the API is unreachable (the lookup returns an empty list with a warning)
  ansible.builtin.debug:
    msg: "{{ query('upstash.cloud.upstash_kafka_connectors', cluster_id, errors='warn') | length }}"
"""

RETURN = r"""
_list:
  description:
    - The connectors of every cluster in term order (or in the order of the account's cluster
      list), each cluster's in API order, after the O(name), O(connector_id) and O(states) filters;
      with O(fields), only those keys.
    - Every field the API sent is kept as sent, except that secrets are masked when O(redact=true).
      The fields are those of RV(upstash.cloud.upstash_kafka_connector_info#module:connectors).
  type: list
  elements: dict
"""

import configparser
import os

from ansible.errors import AnsibleLookupError
from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.validation import check_type_bool
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.upstash.cloud.plugins.module_utils._api import API_OPTION_NAMES, HAS_REQUESTS, api_call
from ansible_collections.upstash.cloud.plugins.module_utils._errors import UpstashError, quoted
from ansible_collections.upstash.cloud.plugins.module_utils._connectors import QUERY_OPTIONS, query_connectors
from ansible_collections.upstash.cloud.plugins.plugin_utils._memo import MemoizingClient


def _flatten(terms):
    flat = []
    for term in terms:
        if isinstance(term, (list, tuple)):
            flat.extend(_flatten(term))
        else:
            flat.append(term)
    return flat


display = Display()


class LookupModule(LookupBase):
    def _check_keywords(self, kwargs):
        """Refuse keywords this lookup does not have: Ansible would ignore them silently."""
        known = sorted(name for name in self.option_definitions if not name.startswith("_"))
        unknown = sorted(name for name in kwargs if name not in known)
        if unknown:
            raise AnsibleLookupError(
                "Unknown option%s %s for upstash.cloud.upstash_kafka_connectors; its options are %s."
                % ("s" if len(unknown) > 1 else "", ", ".join(quoted(name) for name in unknown[:10]), ", ".join(known))
            )

    def _as_given(self, name, variables, kwargs):
        """(value, where from) of an option as the user wrote it, before Ansible's config layer converted
        it; None when it was not given."""
        definition = self.option_definitions[name]
        var_names = [source["name"] for source in definition.get("vars", []) if source["name"] in (variables or {})]
        env_names = [source["name"] for source in definition.get("env", []) if source["name"] in os.environ]
        if name in kwargs:
            return kwargs[name], ""
        if var_names:
            return self._templar.template(variables[var_names[-1]]), " (from variable %s)" % var_names[-1]
        if env_names:
            return os.environ[env_names[-1]], " (from environment variable %s)" % env_names[-1]
        origin = self.get_option_and_origin(name)[1]
        for source in definition.get("ini", []) if isinstance(origin, str) and os.path.isfile(origin) else ():
            parser = configparser.ConfigParser(inline_comment_prefixes=(";",), interpolation=None)
            parser.read(origin)
            if parser.has_option(source["section"], source["key"]):
                return parser.get(source["section"], source["key"]), " (from [%s] %s in %s)" % (source["section"], source["key"], origin)
        return None

    def _strict_options(self, variables, kwargs):
        """Booleans as the modules' argument spec reads them: Ansible's config layer turns any unknown
        spelling ('ture', 'maybe', 'enabled') into false, which would switch redaction or TLS checks off.
        A relative ca_path is read from the playbook's directory, as the modules read it, not from the
        directory ansible-playbook was started in."""
        for name, definition in self.option_definitions.items():
            given = self._as_given(name, variables, kwargs)
            if given is None:
                continue
            raw, origin = given
            if definition.get("type") in ("bool", "boolean"):
                try:
                    self._options[name] = check_type_bool(raw)
                except TypeError:
                    raise AnsibleLookupError(
                        "Invalid %s %s%s: it must be a boolean (true/false, yes/no, on/off or 1/0)." % (name, quoted(raw), origin)
                    )
            elif name == "ca_path" and isinstance(raw, str) and raw and " in " not in origin:
                # ansible.cfg's own relative paths are read from its directory, as Ansible reads them.
                self._options[name] = os.path.join(self._loader.get_basedir(), os.path.expanduser(raw))

    def _api_options(self, variables, direct):
        """The shared API options; values that came from host/play variables are templated first,
        because those arrive as written ("{{ vault_upstash_api_key }}")."""
        options = {}
        for name in API_OPTION_NAMES:
            value = self.get_option(name)
            var_names = [source["name"] for source in self.option_definitions.get(name, {}).get("vars", [])]
            if isinstance(value, str) and name not in direct and any(var in (variables or {}) for var in var_names):
                value = self._templar.template(value)
            options[name] = value
        return options

    def run(self, terms, variables=None, **kwargs):
        if not HAS_REQUESTS:
            raise AnsibleLookupError(missing_required_lib("requests"))
        self._check_keywords(kwargs)
        self.set_options(var_options=variables, direct=kwargs)
        self._strict_options(variables, kwargs)

        # cluster_id= is the modules' name for a term; it comes after the terms given as such.
        cluster_ids = _flatten(terms) + _flatten([self.get_option("cluster_id")] if self.get_option("cluster_id") is not None else [])
        query = dict((option, self.get_option(option)) for option in QUERY_OPTIONS)
        cache_ttl = self.get_option("cache_ttl")

        def read(client):
            return query_connectors(MemoizingClient(client, cache_ttl), cluster_ids, redact_secrets=self.get_option("redact"), **query)[0]

        try:
            return api_call(self._api_options(variables, kwargs), read, display.warning)
        except UpstashError as exc:
            if exc.traceback:
                display.vvv("The full traceback of this error is:\n%s" % exc.traceback)
            raise AnsibleLookupError(str(exc))
