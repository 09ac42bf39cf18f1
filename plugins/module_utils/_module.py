# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a module of this collection is, and how it runs as a module process (run_module); the action
plugins run the same definition in the worker (plugins/plugin_utils/), with the same validation,
answer and masking.
"""

from __future__ import annotations

import os
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from ansible.module_utils.secrets import register_secrets
except ImportError:  # before ansible-core 2.22 a module masks its no_log_values in its own result
    register_secrets = None

from ansible_collections.upstash.cloud.plugins.module_utils._api import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, api_argument_spec, api_call
from ansible_collections.upstash.cloud.plugins.module_utils._errors import UpstashError
from ansible_collections.upstash.cloud.plugins.module_utils._secrets import redact, secret_strings

# ansible-core 2.22 and later mask secrets wherever they show a result, not in the result itself.
SECRETS_MASKED_WHEN_SHOWN = register_secrets is not None
# How the action plugin tells a module process when its task ends: "<seconds left> <epoch when said>",
# then "same-clock" when the process runs on the controller's own host (a local connection).
TASK_ENDS_VARIABLE = "_UPSTASH_TASK_ENDS"
SAME_CLOCK = "same-clock"


class Task:
    """What a module body learns about its task, and what it reports besides its answer."""

    def __init__(self, check_mode=False, diff=False, time_left=None, progress=None):
        self.check_mode = check_mode
        self.diff = diff
        self.time_left = time_left  # seconds until the task's own timeout ends it, if it has one
        self.progress = progress or (lambda sentence: None)  # shown at -v where the runner can show it
        # Set as soon as the API confirmed a change, so a later failure still reports it.
        self.changed = False
        # Strings hidden wherever the result is shown, as AnsibleModule hides no_log values.
        self.secrets = set()

    def hide_secrets_of(self, data):
        """Hide the secrets redaction finds in data (a connector, the task's properties) wherever the result shows them."""
        if isinstance(data, dict):
            self.secrets.update(secret_strings(data))


def shown_options(params):
    """The task's options as invocation shows them: the secrets among the properties masked where they stand."""
    if isinstance(params, dict) and isinstance(params.get("properties"), dict):
        return dict(params, properties=redact(params["properties"]))
    return params


class CollectionModule:
    """One module: its own options, the rules between them (mutually_exclusive, ...), and its body:
    body(client, params, task) returns the result (changed included) or raises UpstashError."""

    def __init__(self, argument_spec, body, **rules):
        self.own_argument_spec = argument_spec
        self.body = body
        self.rules = rules

    def argument_spec(self):
        return dict(api_argument_spec(), **self.own_argument_spec)


def hide_from_output(values):
    """Have ansible-core 2.22 and later mask these strings wherever they show them."""
    if SECRETS_MASKED_WHEN_SHOWN:
        register_secrets(str(value) for value in values if value)


def answer(definition, params, task):
    """The body's result, or the failure result: what both ways of running a module return."""
    warnings = []

    def body(client):
        if task.time_left is not None:
            client.call.end = time.monotonic() + task.time_left
        return definition.body(client, params, task)

    try:
        result = api_call(params, body, warnings.append)
    except UpstashError as exc:
        result = dict(failed=True, msg=str(exc), changed=task.changed)
        if exc.status is not None:
            result["status"] = exc.status
        if exc.traceback:
            result["exception"] = exc.traceback  # shown by ansible-playbook at -vvv
        result.update(exc.result)
    if warnings:
        result["warnings"] = list(result.get("warnings", [])) + warnings
    return result


def time_left_from_environment():
    """Seconds until the task's timeout, as the action plugin said, less the time the module took to start."""
    try:
        said = os.environ[TASK_ENDS_VARIABLE].split()
        left, said_at = float(said[0]), float(said[1])
    except (KeyError, ValueError, IndexError):
        return None
    started_in = time.time() - said_at
    if said[2:] == [SAME_CLOCK]:
        return left - started_in  # on a loaded host a start may take longer than the time left: then the task has ended
    # Clocks of two hosts may differ: a start that seems to have taken longer than the time left is not trusted.
    return left - started_in if 0 <= started_in < left else left


class _Module(AnsibleModule):
    """AnsibleModule whose invocation shows the properties redacted, from its first answer on (a failed
    validation answers from inside the constructor): a short secret is masked where it stands."""

    def _return_formatted(self, kwargs):
        kwargs.setdefault("invocation", {"module_args": shown_options(self.params)})
        super()._return_formatted(kwargs)


def run_module(definition):
    """Run a module as a module process: validate, run the body, exit with its result."""
    module = _Module(argument_spec=definition.argument_spec(), supports_check_mode=True, **definition.rules)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    task = Task(check_mode=module.check_mode, diff=module._diff, time_left=time_left_from_environment())  # pylint: disable=protected-access
    task.hide_secrets_of(module.params.get("properties"))
    if task.time_left is not None and task.time_left <= 0:
        module.fail_json(msg="The task's timeout had passed when the module process started; nothing was sent.")
    result = answer(definition, module.params, task)
    module.no_log_values.update(task.secrets)
    hide_from_output(task.secrets)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
