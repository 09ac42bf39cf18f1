# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What an ansible-test target cannot set up: a vault password file. Listing, filters, credentials,
check mode, failures and the worker/module process parity are the targets in tests/integration/targets/."""

from __future__ import annotations

import os
import subprocess
import sys

BIN = os.path.dirname(sys.executable)


def test_a_vaulted_api_key_works_everywhere(ansible, emulator, it, tmp_path):
    password_file = tmp_path / "vault-password"
    password_file.write_text("integration-vault-password\n")
    encrypted = subprocess.run(
        [os.path.join(BIN, "ansible-vault"), "encrypt_string", "--vault-password-file", str(password_file),
         "--name", "vaulted_api_key", it.api_key],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1"),
    ).stdout
    assert it.api_key not in encrypted
    variables = tmp_path / "vaulted.yml"
    variables.write_text(encrypted)
    output = ansible("vault.yml", "-vvv", "-e", "@" + str(variables), "--vault-password-file", str(password_file),
                     credentials=None, extra_vars=dict(it_email=it.email))
    assert "ok=2" in output
    assert emulator.stats()["requests"] == 3
