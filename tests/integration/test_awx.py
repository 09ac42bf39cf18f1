# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The AWX / Automation Platform credential type of the platform guide, used the way AWX uses it.

AWX renders a credential type's env injectors with Jinja's immutable sandbox over the credential's
inputs (only the non-empty ones; secret inputs shown as ********** in the copy of the environment it
keeps with the job) and hands the environment to ansible-runner. The demo playbook runs here through
ansible-runner's Python API with that environment, against the emulator; then every file runner
left behind is searched for the API key.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import urllib.parse

import jinja2
import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

# make test's venv has ansible-runner; the version matrix's venvs (tests/matrix/) do not.
ansible_runner = pytest.importorskip("ansible_runner", reason="ansible-runner is only in make test's venv")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CREDENTIAL_TYPE = os.path.join(ROOT, "docs", "docsite", "recipes", "platform", "credential_type.yml")
BIN = os.path.dirname(sys.executable)
AWX_HIDDEN = "**********"


def load_credential_type():
    with open(CREDENTIAL_TYPE, encoding="utf-8") as definition:
        return yaml.safe_load(definition)


def inject(credential_type, inputs):
    """(environment for the job, environment shown with the job) as AWX builds them from a credential."""
    fields = credential_type["inputs"]["fields"]
    secret = {field["id"] for field in fields if field.get("secret")}
    namespace, shown = {}, {}
    for name, value in inputs.items():
        if isinstance(value, bool):
            namespace[name] = shown[name] = value
        elif value:
            namespace[name] = value
            shown[name] = AWX_HIDDEN if name in secret else value
    for field in fields:
        if field["type"] == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = shown[field["id"]] = False
    sandbox = ImmutableSandboxedEnvironment()
    environment, shown_environment = {}, {}
    for name, template in credential_type["injectors"]["env"].items():
        environment[name] = sandbox.from_string(template).render(**namespace)
        shown_environment[name] = sandbox.from_string(template).render(**shown)
    return environment, shown_environment


def key_forms(email, api_key):
    """The key as it could leak: itself, its basic-auth form, and both escaped."""
    basic = base64.b64encode(("%s:%s" % (email, api_key)).encode()).decode()
    return {api_key, basic, urllib.parse.quote(api_key, safe=""), json.dumps(api_key)[1:-1]}


def files_holding(directory, needles):
    holding = []
    for parent, dummy, names in os.walk(directory):
        for name in names:
            path = os.path.join(parent, name)
            with open(path, "rb") as stored:
                content = stored.read().decode("utf-8", "replace")
            if any(needle in content for needle in needles):
                holding.append(os.path.relpath(path, directory))
    return sorted(holding)


def test_the_credential_type_is_one_awx_accepts():
    credential_type = load_credential_type()
    fields = credential_type["inputs"]["fields"]
    assert set(credential_type) == {"inputs", "injectors"} and set(credential_type["injectors"]) == {"env"}
    assert [field["id"] for field in fields] == ["email", "api_key", "api_url"]
    assert all(field["type"] in ("string", "boolean") and field["label"] for field in fields), fields
    assert [field["id"] for field in fields if field.get("secret")] == ["api_key"]
    assert credential_type["inputs"]["required"] == ["email", "api_key"]
    # AWX refuses a template that names anything but the type's own fields.
    strict = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    for name, template in credential_type["injectors"]["env"].items():
        assert not name.startswith("ANSIBLE_"), name
        strict.from_string(template).render(**dict((field["id"], "x") for field in fields))
    # Each input lands in the variable the collection reads it from.
    environment, dummy = inject(credential_type, {"email": "e", "api_key": "k", "api_url": "u"})
    assert environment == {"UPSTASH_EMAIL": "e", "UPSTASH_API_KEY": "k", "UPSTASH_API_URL": "u"}


def _runner_environment(collections_path, tmp_path, injected):
    environment = dict(
        PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
        ANSIBLE_COLLECTIONS_PATH=collections_path,
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_NOCOLOR="1",
    )
    environment.update(injected)
    return environment


def _without_upstash_environment(monkeypatch):
    # runner starts from the test's own environment: only the credential may bring UPSTASH_* in.
    for name in list(os.environ):
        if name.startswith(("UPSTASH_", "ANSIBLE_")):
            monkeypatch.delenv(name)


def test_demo_through_ansible_runner_with_the_injected_credential(collections_path, emulator, it, tmp_path, monkeypatch):
    _without_upstash_environment(monkeypatch)
    credential_type = load_credential_type()
    injected, shown = inject(credential_type, {"email": it.email, "api_key": it.api_key, "api_url": emulator.url})
    assert shown == {"UPSTASH_EMAIL": it.email, "UPSTASH_API_KEY": AWX_HIDDEN, "UPSTASH_API_URL": emulator.url}

    private_data_dir = tmp_path / "job"
    shutil.copytree(os.path.join(ROOT, "demo"), str(private_data_dir / "project"))
    events = []
    result = ansible_runner.run(
        private_data_dir=str(private_data_dir), ident="1", playbook="site.yml", inventory="localhost\n",
        envvars=_runner_environment(collections_path, tmp_path, injected), event_handler=events.append, quiet=True,
    )
    stdout = result.stdout.read()
    assert (result.status, result.rc) == ("successful", 0), stdout[-4000:]
    assert "NON-COMPLIANT: Failed connectors: pg-source" in stdout
    assert "| pg-source | failed | FAILED |" in (private_data_dir / "project" / "connectors-report.md").read_text()
    assert emulator.stats()["requests"] >= 2

    forms = key_forms(it.email, it.api_key)
    listed = [event for event in events if event.get("event") == "runner_on_ok"
              and event["event_data"].get("task_action") == "upstash.cloud.upstash_kafka_connector_info"]
    # Listed, remediated (pg-source restarted), listed again.
    assert [len(event["event_data"]["res"]["connectors"]) for event in listed] == [4, 4]
    assert "COMPLIANT: no connector is failed (mongo-sink: running, pg-source: running" in stdout
    assert not any(form in json.dumps(events) for form in forms)
    # Only runner's own records of the job's environment hold the key, and only as that variable's value.
    records = files_holding(str(private_data_dir), forms)
    assert records == ["artifacts/1/command", "env/envvars"]
    assert json.loads((private_data_dir / "env" / "envvars").read_text())["UPSTASH_API_KEY"] == it.api_key
    command = json.loads((private_data_dir / "artifacts" / "1" / "command").read_text())
    assert command["env"]["UPSTASH_API_KEY"] == it.api_key
    del command["env"]["UPSTASH_API_KEY"]
    assert not any(form in json.dumps(command) for form in forms)


def test_an_empty_api_url_input_leaves_the_default_endpoint(collections_path, it, tmp_path, unused_port, monkeypatch):
    """AWX renders an input left empty as an empty string; the collection then uses https://api.upstash.com.

    A proxy that refuses connections stands in for the network, so the failure names the host tried."""
    _without_upstash_environment(monkeypatch)
    injected, dummy = inject(load_credential_type(), {"email": it.email, "api_key": it.api_key, "api_url": ""})
    assert injected["UPSTASH_API_URL"] == ""
    environment = _runner_environment(collections_path, tmp_path, injected)
    environment.update(HTTPS_PROXY="http://127.0.0.1:%d" % unused_port, NO_PROXY="")
    private_data_dir = tmp_path / "job"
    private_data_dir.mkdir()
    result = ansible_runner.run(
        private_data_dir=str(private_data_dir), ident="1", host_pattern="localhost",
        module="upstash.cloud.upstash_kafka_cluster_info", module_args="retries=0",
        inventory="localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable,
        envvars=environment, quiet=True,
    )
    stdout = result.stdout.read()
    assert result.status == "failed", stdout[-4000:]
    assert "Could not reach api.upstash.com through the proxy" in stdout
    assert it.api_key not in stdout


@pytest.mark.parametrize("projection, kept", [("", None), (" fields=name,state", 1200)], ids=["full", "fields"])
def test_job_events_keep_a_small_answer_and_drop_a_full_one(collections_path, big_emulator, it, tmp_path,
                                                            monkeypatch, projection, kept):
    """runner's event callback (AWX's too) empties a task result longer than 700,000 characters."""
    _without_upstash_environment(monkeypatch)
    injected, dummy = inject(load_credential_type(), {"email": it.email, "api_key": it.api_key, "api_url": big_emulator.url})
    private_data_dir = tmp_path / "job"
    private_data_dir.mkdir()
    events = []
    result = ansible_runner.run(
        private_data_dir=str(private_data_dir), ident="1", host_pattern="localhost",
        module="upstash.cloud.upstash_kafka_connector_info", module_args="cluster_id=big-cluster" + projection,
        inventory="localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable,
        envvars=_runner_environment(collections_path, tmp_path, injected), event_handler=events.append, quiet=True,
    )
    assert (result.status, result.rc) == ("successful", 0), result.stdout.read()[-4000:]
    [answered] = [event for event in events if event.get("event") == "runner_on_ok"]
    kept_result = answered["event_data"]["res"]
    if kept is None:
        assert kept_result == {}
        return
    assert len(kept_result["connectors"]) == kept and set(kept_result["connectors"][0]) == {"name", "state"}
    assert kept_result["summary"]["total"] == 1200 and kept_result["summary"]["by_state"]["failed"] == 12
