# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The info modules of this collection: what each one takes and reads, and the two ways to run it.

run_info_module() is the module process (AnsibleModule). run_in_controller() gives the same result
inside the controller's worker process, where the action plugin calls it to skip starting a module
process on a local connection. Both validate against the same argument spec and call the same reader.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.upstash.cloud.plugins.module_utils._api_client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    UpstashError,
    api_argument_spec,
    client_from_options,
)
from ansible_collections.upstash.cloud.plugins.module_utils._queries import (
    QUERY_OPTION_NAMES,
    connector_query_argument_spec,
    query_clusters,
    query_connectors,
)


class InfoModule:
    """One info module: its own options (the shared API options are added), and its reader, whose
    answer is returned under result_key."""

    def __init__(self, argument_spec, result_key, read, mutually_exclusive=()):
        self.own_argument_spec = argument_spec
        self.result_key = result_key
        self.read = read
        self.mutually_exclusive = list(mutually_exclusive)

    def argument_spec(self):
        spec = api_argument_spec()
        spec.update(self.own_argument_spec)
        return spec


def _read_connectors(client, params):
    cluster_ids = [] if params["cluster_id"] is None else [params["cluster_id"]]
    query = dict((option, params[option]) for option in QUERY_OPTION_NAMES)
    return query_connectors(client, cluster_ids, **query)


def _read_clusters(client, params):
    return query_clusters(client, cluster_id=params["cluster_id"], name=params["name"], redact=params["redact"])


CONNECTOR_INFO = InfoModule(
    dict(connector_query_argument_spec(), cluster_id=dict(type="str")),
    "connectors",
    _read_connectors,
    mutually_exclusive=[("cluster_id", "cluster_name")],
)

CLUSTER_INFO = InfoModule(dict(cluster_id=dict(type="str"), name=dict(type="str")), "clusters", _read_clusters)


def run_info_module(info):
    """Exit with changed=false and the reader's answer, or fail with the error's sentence."""
    module = AnsibleModule(argument_spec=info.argument_spec(), supports_check_mode=True, mutually_exclusive=info.mutually_exclusive)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    try:
        answer = info.read(client_from_options(module.params), module.params)
    except UpstashError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **{info.result_key: answer})


def run_in_controller(info, args, module_name, invocation=True):
    """The result dict run_info_module() would print for these task arguments.

    Options missing from args fall back to the process environment, as in a module process, so the
    caller sets the task's environment first. Like AnsibleModule, the answer carries the validated
    options as invocation (unless invocation is false), and every value of a no_log option is masked
    throughout.
    """
    spec = info.argument_spec()
    validation = ArgumentSpecValidator(spec, mutually_exclusive=info.mutually_exclusive).validate(args)
    params = validation.validated_parameters
    if validation.error_messages:
        message = validation.errors.msg
        if isinstance(validation.errors[0], UnsupportedError):
            message = "Unsupported parameters for (%s) module: %s" % (module_name, message)
        result = dict(failed=True, msg=message)
    else:
        try:
            result = {"changed": False, info.result_key: info.read(client_from_options(params), params)}
        except UpstashError as exc:
            result = dict(failed=True, msg=str(exc))
    if invocation:
        result["invocation"] = {"module_args": params}
    # The values AnsibleModule masks, read as it reads them: besides no_log options set in args, this
    # holds an api_key that came from the environment.
    return remove_values(result, validation._no_log_values)
