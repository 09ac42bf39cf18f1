# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

import pytest

# The process that collected the tests; ansible-test units runs each test in a fork of it.
COLLECTING_PROCESS = os.getpid()
# Module-scoped fixtures of these tests that run an emulator process.
EMULATOR_FIXTURES = ("running", "big")


@pytest.fixture(autouse=True)
def stop_module_emulators_of_a_forked_test(request):
    """A forked test process exits without tearing down module-scoped fixtures, which would leave the
    emulators it started running: stop them when its test ends."""
    yield
    if os.getpid() != COLLECTING_PROCESS:
        for name in EMULATOR_FIXTURES:
            if name in request.fixturenames:
                request.getfixturevalue(name).stop()
