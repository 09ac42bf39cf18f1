# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Real ansible-playbook runs against the emulator, with the collection installed from its tarball."""

from __future__ import annotations

import os
import subprocess
import sys

BIN = os.path.dirname(sys.executable)

PROD = "7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01"
SECRETS = ("Mongo-Pa55w0rd", "Pg-Secret-123", "s3-Secret-Key", "Es-User-Pass", "trust-me")


def credential_vars(it, emulator, **overrides):
    return dict(dict(it_email=it.email, it_api_key=it.api_key, emulator_url=emulator.url), **overrides)


def test_module_lists_filters_and_redacts(ansible, emulator):
    ansible("module.yml")
    # one request per module task, no more
    assert emulator.stats()["requests"] == 7


def test_module_in_check_mode(ansible):
    output = ansible("module.yml", "--check")
    assert "changed=0" in output


def test_redacted_results_leak_no_secret_at_high_verbosity(ansible):
    output = ansible("lookup.yml", "-vvvv")
    # redact=false results are only asserted on, never printed: everything printed is redacted
    for secret in SECRETS:
        if secret != "Pg-Secret-123":
            assert secret not in output


def test_module_defaults_group(ansible, emulator, it):
    ansible("module_defaults.yml", credentials=None, extra_vars=credential_vars(it, emulator))
    log = emulator.stats()["requests_log"]
    assert len(log) == 1 and log[0]["authorization"]


def test_lookup_query_loop_and_template(ansible, tmp_path, it):
    ansible("lookup.yml")
    report = (tmp_path / "connectors.md").read_text()
    lines = report.splitlines()
    assert lines[0] == "# Connectors of " + it.prod
    assert "| pg-source | failed | - |" in lines
    assert "| mongo-sink | running | mongodb+srv://appuser:********@cluster0.example.net/orders?retryWrites=true |" in lines
    assert "Mongo-Pa55w0rd" not in report


def test_lookup_credentials_from_variables(ansible, emulator, it):
    ansible("lookup_vars.yml", credentials=None, extra_vars=credential_vars(it, emulator))
    assert emulator.stats()["requests"] == 1


def test_missing_credentials_name_the_environment_variable(ansible, emulator, it):
    output = ansible("module_defaults.yml", expect_rc=2, credentials=None,
                     extra_vars=credential_vars(it, emulator, it_email=""))
    assert "UPSTASH_EMAIL" in output
    assert emulator.stats()["requests"] == 0


def test_failures_are_clean_and_keyless_at_high_verbosity(ansible, emulator):
    output = ansible("errors.yml", "-vvvv")
    # the bad ids never reach the API: wrong key, unknown cluster (module and lookup) only
    assert emulator.stats()["requests"] == 3
    assert "wrong-key-3c9d" not in output


def test_account_wide_cluster_name_and_connector_id(ansible, emulator):
    ansible("account.yml", "-vvvv")
    paths = emulator.stats()["by_path"]
    # module and lookup both list the account: clusters first, then each cluster once per call
    assert paths["/v2/kafka/clusters"] >= 4
    assert paths["/v2/kafka/connectors/e0e0e0e0-0000-4000-8000-000000000003"] >= 2


def test_states_filter_and_summary_on_every_path(ansible, emulator):
    ansible("states.yml")
    # the refused empty list sends nothing
    assert emulator.stats()["by_path"]["/v2/kafka/clusters"] == 4


def test_worker_process_and_module_process_answer_alike(ansible, emulator):
    template = dict(connector_id="c1", name="{{ 6 * 7 }}", state="running", cluster_id=PROD)
    emulator.fault("status", count=2, status=200, body=[template])
    # ansible-core 2.21 shows a task's options only when asked; older ones ignore the variable
    output = ansible("controller.yml", "-vvv", env=dict(ANSIBLE_INJECT_INVOCATION="true"))
    assert "wrong-key-3c9d" not in output
    # -vvv shows each task's options; both places mask the key, whether it came from the environment or the task
    assert output.count('"api_key": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"') >= 4 + 2 * 6
    # four listings and two cluster lists reach the emulator, and in each place the unknown cluster
    # and the wrong key; the dead API URL and the dead proxy keep two listings from it
    assert emulator.stats()["requests"] == 4 + 2 + 2 * 2


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
    assert "ok=4" in output
    assert emulator.stats()["requests"] == 3
