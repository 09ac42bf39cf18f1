# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The action behind each module: on a local connection it answers in the worker process.

Starting a module process (AnsiballZ payload, a new Python, importing requests) costs more than
the API call itself, and moving a large answer back through JSON costs more again. On a local
connection the module would run on the controller anyway, so the action runs the same module body
there, with the same options, check and diff modes, environment, working directory and masking.
Everything else (a remote host, become, async, no requests on the controller, or the variable
upstash_module_process set to true) runs the module as usual.

Private to this collection: not an interface for other collections or playbooks; it may change in
any release.
"""

from __future__ import annotations

import contextlib
import gc
import json
import multiprocessing
import os
import signal
import time

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.validation import check_type_bool
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.utils.display import Display

from ansible_collections.upstash.cloud.plugins.module_utils._api import HAS_REQUESTS
from ansible_collections.upstash.cloud.plugins.module_utils._errors import quoted
from ansible_collections.upstash.cloud.plugins.module_utils._module import (
    SAME_CLOCK, SECRETS_MASKED_WHEN_SHOWN, TASK_ENDS_VARIABLE, Task, answer, hide_from_output, shown_options)

display = Display()

try:
    from ansible.module_utils.common.json import Direction, get_module_decoder, get_module_encoder
except ImportError:  # ansible-core < 2.19
    from ansible.module_utils.common.json import AnsibleJSONEncoder

    def args_as_sent(args):
        """The task arguments as a module process receives them: plain JSON values, vaulted values decrypted."""
        return json.loads(json.dumps(args, cls=AnsibleJSONEncoder, vault_to_text=True))
else:
    # Looked up here, once in the controller, rather than in every forked worker: the lookup imports a module.
    _ENCODER = get_module_encoder("legacy", Direction.CONTROLLER_TO_MODULE)
    _DECODER = get_module_decoder("legacy", Direction.CONTROLLER_TO_MODULE)

    def args_as_sent(args):
        """The task arguments as a module process receives them: plain JSON values, vaulted values decrypted."""
        return json.loads(json.dumps(args, cls=_ENCODER), cls=_DECODER)


def reports_invocation(task_vars):
    """Whether a module run by this ansible-core adds its options to its result as invocation."""
    # ansible-core 2.21 made it a setting, off by default; before, modules always added it.
    if "INJECT_INVOCATION" not in C.config.get_configuration_definitions():
        return True
    return bool(C.config.get_config_value("INJECT_INVOCATION", variables=task_vars))


@contextlib.contextmanager
def process_environment(environment, directory):
    """os.environ with these variables set and the current directory, as the module process would
    have them (ansible-core starts a local module process in the playbook's directory), then restored."""
    saved, saved_directory = dict((name, os.environ.get(name)) for name in environment), os.getcwd()
    os.environ.update((name, str(value)) for name, value in environment.items())
    try:
        os.chdir(directory)
        yield
    finally:
        os.chdir(saved_directory)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# A variable that sends the module to a module process even on a local connection.
FORCE_MODULE_PROCESS = "upstash_module_process"


def run_in_controller(definition, args, module_name, check_mode=False, diff=False, invocation=True, progress=None):
    """The result dict run_module() would print for these task arguments.

    Options missing from args fall back to the process environment, as in a module process, so the
    caller sets the task's environment first. Like AnsibleModule, the answer carries the validated
    options as invocation (unless invocation is false), and every value of a no_log option, like every
    secret the definition or its body names, is masked throughout: in the result before ansible-core
    2.22, wherever ansible-core shows it from 2.22 on.
    """
    validation = ArgumentSpecValidator(definition.argument_spec(), **definition.rules).validate(args)
    params = validation.validated_parameters
    task = Task(check_mode=check_mode, diff=diff, progress=progress)
    task.hide_secrets_of(params.get("properties"))
    if validation.error_messages:
        message = validation.errors.msg
        if isinstance(validation.errors[0], UnsupportedError):
            message = "Unsupported parameters for (%s) module: %s" % (module_name, message)
        result = dict(failed=True, msg=message)
    else:
        result = answer(definition, params, task)
    if invocation:
        result["invocation"] = {"module_args": shown_options(params)}
    # The values AnsibleModule masks, read as it reads them: besides no_log options set in args, this
    # holds an api_key that came from the environment.
    hidden = set(validation._no_log_values)  # pylint: disable=protected-access
    hidden.update(task.secrets)
    if not SECRETS_MASKED_WHEN_SHOWN:
        # remove_values copies everything it is given, which costs more than the whole API call for a big
        # answer; a part of the result that holds no secret comes back from it unchanged.
        return dict((key, remove_values(value, hidden) if may_hold_secret(value, hidden) else value) for key, value in result.items())
    hide_from_output(hidden)
    return result


_WRITTEN_OUT = (int, float, bool, type(None))


def may_hold_secret(value, secrets):
    """Whether remove_values(value, secrets) could differ from value: one of the secrets is in a string of
    value (keys too, to be on the safe side) or in a number written out, or value holds something other
    than plain JSON data."""
    texts, pending = [], [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str:
            texts.append(item)
        elif kind is dict:
            pending.extend(item)
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
        elif kind in _WRITTEN_OUT:
            # Before ansible-core 2.19, remove_values also masks True, False and None written out.
            texts.append(str(item))
        else:
            return True
    # One search over every text: a separator can add a find (of a secret holding it), never hide one.
    joined = "\0".join(texts)
    return any(secret in joined for secret in secrets)


class ModuleAction(NormalAction):
    MODULE = None  # the CollectionModule this action runs

    def forces_module_process(self, task_vars):
        if FORCE_MODULE_PROCESS not in (task_vars or {}):
            return False
        value = task_vars[FORCE_MODULE_PROCESS]
        try:
            return check_type_bool(self._templar.template(value))
        except TypeError:
            raise AnsibleActionFail(
                "Invalid %s %s: it must be a boolean (true/false, yes/no, on/off or 1/0)." % (FORCE_MODULE_PROCESS, quoted(value))
            )

    def runs_in_controller(self, task_vars=None):
        return (
            HAS_REQUESTS
            and self._connection.transport == "local"
            and not self._play_context.become
            and not self._task.async_val
            and not self.forces_module_process(task_vars)
        )

    def run(self, tmp=None, task_vars=None):
        if not self.runs_in_controller(task_vars):
            # A module process outlives its task's timeout unless told when the task ends: the worker's
            # alarm (set from the task's timeout keyword) says how long is left.
            left = signal.getitimer(signal.ITIMER_REAL)[0]
            if left > 0:
                said = "%.3f %.3f" % (left, time.time())
                if self._connection.transport == "local":
                    said += " " + SAME_CLOCK
                environment = self._task.environment or []
                self._task.environment = (environment if isinstance(environment, list) else [environment]) + [{TASK_ENDS_VARIABLE: said}]
            return super().run(tmp, task_vars)
        if multiprocessing.parent_process() is not None:
            # This worker is a fork of the controller, and exits after its task: a cycle collection here would
            # walk (and so copy) every young object the controller left it. Frozen, they are left alone. Frozen
            # again before each loop item, the earlier items' results are too; a call leaves no cycle to free.
            gc.freeze()
        result = super(NormalAction, self).run(tmp, task_vars)
        environment = {}
        self._compute_environment_string(environment)
        with process_environment(environment, self._loader.get_basedir()):
            result.update(run_in_controller(self.MODULE, args_as_sent(self._task.args), self._task.action,
                                            check_mode=bool(self._task.check_mode), diff=bool(self._task.diff),
                                            invocation=reports_invocation(task_vars), progress=display.v))
        return result
