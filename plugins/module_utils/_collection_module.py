# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What each module of this collection is, and how it runs as a module process.

A CollectionModule is a module's own options (the shared API options are added), the rules between
them, its body, and the secrets its options hold. run_module() runs it under AnsibleModule; the
action plugins run the same definition inside the controller's worker process
(plugins/plugin_utils/_module_action.py), with the same validation, answers and masking.

Private to this collection: not an interface for other collections or playbooks; it may change in
any release.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from ansible.module_utils.secrets import register_secrets
except ImportError:  # ansible-core < 2.22 masks a module's no_log_values in its result instead
    register_secrets = None

# ansible-core 2.22 and later mask secrets wherever they show a result, not in the result itself.
SECRETS_MASKED_WHEN_SHOWN = register_secrets is not None

from ansible_collections.upstash.cloud.plugins.module_utils._api_client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    UpstashError,
    UpstashUnexpectedError,
    api_argument_spec,
    api_call,
)


class Task:
    """What a module body learns about its task, and what it reports besides its answer."""

    def __init__(self, check_mode=False, diff=False):
        self.check_mode = check_mode
        self.diff = diff
        # Set as soon as something was changed, so a later failure still reports the change.
        self.changed = False
        # Strings masked everywhere in the result, as AnsibleModule masks the values of no_log options.
        self.secrets = set()

    def hide(self, values):
        self.secrets.update(value for value in values if value)


class TaskFailure(UpstashError):
    """A failure whose result carries more than the message (the connector it left, for example)."""

    def __init__(self, message, **result):
        super().__init__(message)
        self.result = result


def no_secrets(_params):
    return set()


class CollectionModule:
    """One module: its own options, the rules between them, its body and the secrets in its options.

    body(client, params, task) returns the result (changed included) or raises UpstashError.
    secrets(params) returns the strings of the task's own options to mask besides no_log options;
    it is called on unvalidated options too, so it must accept anything.
    """

    def __init__(self, argument_spec, body, secrets=no_secrets, **rules):
        self.own_argument_spec = argument_spec
        self.body = body
        self.secrets = secrets
        # mutually_exclusive, required_one_of, required_together, required_if, required_by
        self.rules = rules

    def argument_spec(self):
        spec = api_argument_spec()
        spec.update(self.own_argument_spec)
        return spec


def hide_from_output(values):
    """Have ansible-core (2.22 and later) mask these strings wherever it shows them.

    Those versions mask secrets when they show a result rather than in the result itself, and a
    module's secrets reach the controller through this registry, not through no_log_values."""
    if SECRETS_MASKED_WHEN_SHOWN:
        register_secrets(str(value) for value in values if value)


def failure_result(exc, task):
    """The result of a task whose body raised exc."""
    result = dict(failed=True, msg=str(exc), changed=task.changed)
    status = getattr(exc, "status", None)
    if status is not None:
        result["status"] = status
    if isinstance(exc, UpstashUnexpectedError):
        # Shown by ansible-playbook at -vvv, as for any module's exception.
        result["exception"] = exc.traceback
    result.update(getattr(exc, "result", {}))
    return result


def answer(definition, params, task):
    """The body's result, or the failure result: what both ways of running a module return.

    Warnings raised on the way (see api_call) are in the result's warnings, as module.warn() puts them.
    """
    warnings = []
    try:
        result = api_call(params, lambda client: definition.body(client, params, task), warnings.append)
    except UpstashError as exc:
        result = failure_result(exc, task)
    if warnings:
        result["warnings"] = list(result.get("warnings", [])) + warnings
    return result


class _MaskingModule(AnsibleModule):
    """AnsibleModule that also masks the secrets in the task's own options, from its very first answer
    (a failed validation answers from inside AnsibleModule's constructor)."""

    def __init__(self, definition, **kwargs):
        self._definition = definition
        super().__init__(**kwargs)

    def hide(self, values):
        values = [value for value in values if value]
        self.no_log_values.update(values)
        hide_from_output(values)

    def _hide_secrets(self):
        self.hide(self._definition.secrets(self.params))

    def exit_json(self, **kwargs):
        self._hide_secrets()
        super().exit_json(**kwargs)

    def fail_json(self, msg, **kwargs):
        self._hide_secrets()
        super().fail_json(msg, **kwargs)


def run_module(definition):
    """Run a module as a module process: validate, run the body, exit with its result."""
    module = _MaskingModule(definition, argument_spec=definition.argument_spec(), supports_check_mode=True,
                            **definition.rules)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    task = Task(check_mode=module.check_mode, diff=module._diff)  # pylint: disable=protected-access
    result = answer(definition, module.params, task)
    module.hide(task.secrets)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
