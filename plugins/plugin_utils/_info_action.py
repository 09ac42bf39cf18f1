# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The action behind each info module: on a local connection it answers in the worker process.

Starting a module process (AnsiballZ payload, a new Python, importing requests) costs more than
the API call itself, and moving a large answer back through JSON costs more again. On a local
connection the module would run on the controller anyway, so the action runs the same reader
there, with the same options, environment and masking. Everything else (a remote host, become,
async, or no requests on the controller) runs the module as usual.
"""

from __future__ import annotations

import contextlib
import json
import os

from ansible import constants as C
from ansible.plugins.action.normal import ActionModule as NormalAction

from ansible_collections.upstash.cloud.plugins.module_utils._api_client import HAS_REQUESTS
from ansible_collections.upstash.cloud.plugins.module_utils._info_module import run_in_controller

try:
    from ansible.module_utils.common.json import Direction, get_module_decoder, get_module_encoder
except ImportError:  # ansible-core < 2.19
    from ansible.module_utils.common.json import AnsibleJSONEncoder

    def args_as_sent(args):
        """The task arguments as a module process receives them: plain JSON values, vaulted values decrypted."""
        return json.loads(json.dumps(args, cls=AnsibleJSONEncoder, vault_to_text=True))
else:

    def args_as_sent(args):
        """The task arguments as a module process receives them: plain JSON values, vaulted values decrypted."""
        encoded = json.dumps(args, cls=get_module_encoder("legacy", Direction.CONTROLLER_TO_MODULE))
        return json.loads(encoded, cls=get_module_decoder("legacy", Direction.CONTROLLER_TO_MODULE))


def reports_invocation(task_vars):
    """Whether a module run by this ansible-core adds its options to its result as invocation."""
    # ansible-core 2.21 made it a setting, off by default; before, modules always added it.
    if "INJECT_INVOCATION" not in C.config.get_configuration_definitions():
        return True
    return bool(C.config.get_config_value("INJECT_INVOCATION", variables=task_vars))


@contextlib.contextmanager
def process_environment(environment):
    """os.environ with these variables set, as the module process would have it, then restored."""
    saved = dict(os.environ)
    os.environ.update((name, str(value)) for name, value in environment.items())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class InfoAction(NormalAction):
    INFO = None  # the InfoModule of _info_module this action runs

    def runs_in_controller(self):
        return (
            HAS_REQUESTS
            and self._connection.transport == "local"
            and not self._play_context.become
            and not self._task.async_val
        )

    def run(self, tmp=None, task_vars=None):
        if not self.runs_in_controller():
            return super().run(tmp, task_vars)
        result = super(NormalAction, self).run(tmp, task_vars)
        environment = {}
        self._compute_environment_string(environment)
        with process_environment(environment):
            result.update(run_in_controller(self.INFO, args_as_sent(self._task.args), self._task.action,
                                            invocation=reports_invocation(task_vars)))
        return result
