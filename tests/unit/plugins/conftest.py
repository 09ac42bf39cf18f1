# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest
import responses
from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils.testing import patch_module_args

from ansible_collections.upstash.cloud.tests.unit.plugins.controller_display import as_shown


# ansible-core 2.21 adds invocation to a module's result only when the controller asks; older ones always do.
INVOCATION_ON_REQUEST = "inject_invocation" in PASS_VARS
# From ansible-core 2.22 a module hands its no_log values back to the controller under this key, which the
# controller removes from the result and masks in all later output; it is not part of what a task returns.
SECRETS_FOR_THE_CONTROLLER = "_ansible_new_secrets"


@pytest.fixture
def run_main(capsys):
    """Run a module's main() in-process, as the controller runs it; returns (exit code, result, output).

    Parameters whose value is None are left out, as if the task did not set them. The result holds
    invocation on every ansible-core; the result and the output are the result as ansible-core shows it
    (controller_display), without the values a module hands back only for the controller to mask."""

    def run(main, params):
        params = dict((name, value) for name, value in params.items() if value is not None)
        if INVOCATION_ON_REQUEST:
            params.setdefault("_ansible_inject_invocation", True)
        with patch_module_args(params):
            with pytest.raises(SystemExit) as exited:
                main()
        result = json.loads(capsys.readouterr().out)
        result.pop(SECRETS_FOR_THE_CONTROLLER, None)
        result = as_shown(result)
        return exited.value.code, result, json.dumps(result, ensure_ascii=False)

    return run


@pytest.fixture
def api():
    """The API, mocked at the requests layer: register answers with api.get(url, json=...) and the like."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sent(api):
    """A function giving (method, path, JSON body or None) of every request sent so far, in order."""

    def requests_sent():
        return [(call.request.method, call.request.path_url, json.loads(call.request.body) if call.request.body else None)
                for call in api.calls]

    return requests_sent
