# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args


@pytest.fixture
def run_main(capsys):
    """Run a module's main() in-process; returns (exit code, parsed JSON result, raw stdout).

    Parameters whose value is None are left out, as if the task did not set them."""

    def run(main, params):
        with patch_module_args(dict((name, value) for name, value in params.items() if value is not None)):
            with pytest.raises(SystemExit) as exited:
                main()
        out = capsys.readouterr().out
        return exited.value.code, json.loads(out), out

    return run
