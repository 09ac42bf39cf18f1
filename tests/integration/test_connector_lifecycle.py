# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""upstash.cloud.upstash_kafka_connector against the emulator, in the worker process and in a module process.

Each case of CASES runs in check mode, for real, again and in check mode again (playbooks/lifecycle.yml);
the emulator's request log shows what each run sent: only GETs in check mode, one call per needed
change, and no change the second time.
"""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

# How a no_log option is shown: ansible-core 2.22 and later mask it where a result is shown, earlier
# ones in the result itself.
NO_LOG_SHOWN = "$REDACTED$" if importlib.util.find_spec("ansible.module_utils.secrets") else "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

PROD = "7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01"
EMPTY = "e0e0e0e0-0000-4000-8000-000000000003"
MONGO_SINK = "cHJvZC1ldmVudHMvbW9uZ28tc2luaw"
PG_SOURCE = "cHJvZC1ldmVudHMvcGctc291cmNl"
S3_ARCHIVE = "cHJvZC1ldmVudHMvczMtYXJjaGl2ZQ"
NEW_SECRET = "Lc-Mongo-Secret-51"
NEW_PROPERTIES = {
    "connector.class": "com.mongodb.kafka.connect.MongoSinkConnector",
    "connection.uri": "mongodb+srv://app:%s@cluster0.example.net/orders" % NEW_SECRET,
    "topics": "orders",
    "tasks.max": 1,
}
CONNECTOR = "/v2/kafka/connector/"

# name: the case; args: the module's options; calls: the mutations the real run sends (method, path,
# keys of the body); again: what the second run sends (only restarted repeats); state: the connector's
# state the real run returns.
CASES = [
    dict(name="create and wait", args=dict(name="lc-orders", cluster_id=EMPTY, properties=NEW_PROPERTIES, wait=True),
         calls=[("POST", "/v2/kafka/connector", ["cluster_id", "name", "properties"])], state="running"),
    dict(name="create paused", args=dict(name="lc-orders", cluster_name="empty", properties=NEW_PROPERTIES, running_state="paused"),
         calls=[("POST", "/v2/kafka/connector", ["cluster_id", "name", "properties"]), ("POST", CONNECTOR + "ZW1wdHkvbGMtb3JkZXJz/pause", None)],
         state="paused"),
    dict(name="one property differs", args=dict(name="mongo-sink", cluster_id=PROD, properties={"tasks.max": 2, "topics": "orders"}),
         calls=[("POST", "/v2/kafka/update-connector/" + MONGO_SINK, ["tasks.max"])], state="pending"),
    dict(name="reconfigure a paused one", args=dict(connector_id=S3_ARCHIVE, properties={"flush.size": "500"}),
         calls=[("POST", "/v2/kafka/update-connector/" + S3_ARCHIVE, ["flush.size"])], state="paused"),
    dict(name="pause", args=dict(name="mongo-sink", cluster_id=PROD, running_state="paused"),
         calls=[("POST", CONNECTOR + MONGO_SINK + "/pause", None)], state="paused"),
    dict(name="start a paused one", args=dict(connector_id=S3_ARCHIVE, running_state="running", wait=True),
         calls=[("POST", CONNECTOR + S3_ARCHIVE + "/start", None)], state="running"),
    dict(name="running restarts a failed one", args=dict(connector_id=PG_SOURCE, running_state="running", wait=True),
         calls=[("POST", CONNECTOR + PG_SOURCE + "/restart", None)], state="running"),
    dict(name="restarted", args=dict(name="mongo-sink", cluster_id=PROD, running_state="restarted"),
         calls=[("POST", CONNECTOR + MONGO_SINK + "/restart", None)], again=[("POST", CONNECTOR + MONGO_SINK + "/restart", None)],
         state="pending"),
    dict(name="delete", args=dict(name="pg-source", cluster_id=PROD, state="absent"),
         calls=[("DELETE", CONNECTOR + PG_SOURCE, None)], state=None),
]
# In a module process (async) too, a case for each kind of call.
MODULE_PROCESS_CASES = ("create and wait", "one property differs", "restarted", "delete")


def mutations(log):
    return [(entry["method"], entry["path"], entry["body_keys"]) for entry in log if entry["method"] != "GET"]


def requests_table(results):
    """The requests each run of each case sent, as a Markdown table."""
    lines = ["| case | check mode | real run | second run | check mode again |", "| --- | --- | --- | --- | --- |"]
    for result in results:
        bounds = [0] + [int(count) for count in result["counts"]] + [len(result["log"])]
        cells = []
        for start, end in zip(bounds, bounds[1:]):
            sent = ["%s %s" % (entry["method"], entry["path"].replace("/v2/kafka/", "")) for entry in result["log"][start:end]]
            cells.append(", ".join(sent) or "none")
        lines.append("| %s | %s |" % (result["name"], " | ".join(cells)))
    return "\n".join(lines)


def run_cases(ansible, tmp_path, cases, module_process):
    variables = dict(lifecycle_cases=[dict(name=case["name"], args=case["args"]) for case in cases])
    if module_process:
        variables["lifecycle_async"] = 60
    ansible("lifecycle.yml", extra_vars=variables)
    results = json.loads((tmp_path / "lifecycle.json").read_text())
    (tmp_path / "requests.md").write_text(requests_table(results) + "\n")
    print(requests_table(results))
    return dict((result["name"], result) for result in results)


@pytest.mark.parametrize("module_process", [False, True], ids=["worker process", "module process"])
def test_each_state_changes_once_and_check_mode_only_reads(ansible, tmp_path, module_process):
    cases = [case for case in CASES if not module_process or case["name"] in MODULE_PROCESS_CASES]
    results = run_cases(ansible, tmp_path, cases, module_process)
    for case in cases:
        result = results[case["name"]]
        check, applied, again, check_again = result["runs"]
        counts = [int(count) for count in result["counts"]]
        log = result["log"]
        where = "%s: %s" % (case["name"], json.dumps(result, indent=1)[:3000])
        # check mode: only GETs, and the change it announces is the one the real run makes
        assert mutations(log[:counts[0]]) == [] and mutations(log[counts[2]:]) == [], where
        assert check["changed"] and applied["changed"], where
        assert check["diff"] == applied["diff"], where
        # one call per needed change, then nothing more to do
        assert [tuple(call) for call in mutations(log[counts[0]:counts[1]])] == case["calls"], where
        assert [tuple(call) for call in mutations(log[counts[1]:counts[2]])] == case.get("again", []), where
        assert again["changed"] is bool(case.get("again")) and check_again["changed"] is bool(case.get("again")), where
        assert not any(run.get("failed") for run in result["runs"]), where
        if case["state"] is None:
            assert applied["connector"] == {} and again["connector"] == {}, where
        else:
            assert applied["connector"]["state"] == case["state"], where
            # what the real run returned was read back after its last call
            assert log[counts[1] - 1]["method"] == "GET", where


def test_diff_shows_properties_and_running_state_with_secrets_masked(ansible, tmp_path):
    cases = [case for case in CASES if case["name"] in ("create and wait", "one property differs", "pause", "delete")]
    results = run_cases(ansible, tmp_path, cases, module_process=False)
    created = results["create and wait"]["runs"][1]["diff"]
    assert created["before"] == {}
    assert created["after"]["running_state"] == "pending"
    assert created["after"]["properties"]["connection.uri"] == "mongodb+srv://app:********@cluster0.example.net/orders"
    updated = results["one property differs"]["runs"][1]["diff"]
    assert (updated["before"]["properties"]["tasks.max"], updated["after"]["properties"]["tasks.max"]) == ("1", 2)
    assert (updated["before"]["running_state"], updated["after"]["running_state"]) == ("running", "pending")
    # the properties not given keep their values, and their secrets are masked on both sides
    for side in ("before", "after"):
        assert updated[side]["properties"]["connection.uri"].startswith("mongodb+srv://appuser:********@")
    paused = results["pause"]["runs"][1]["diff"]
    assert (paused["before"]["running_state"], paused["after"]["running_state"]) == ("running", "paused")
    assert paused["before"]["properties"] == paused["after"]["properties"]
    deleted = results["delete"]["runs"][1]["diff"]
    assert deleted["after"] == {} and deleted["before"]["running_state"] == "failed"


# --- faults: a mutation is repeated only when the API certainly did not act on it ------------------------

CREATE = dict(name="lc-orders", cluster_id=EMPTY, properties=NEW_PROPERTIES)
UPDATE = dict(name="mongo-sink", cluster_id=PROD, properties={"tasks.max": "2"})
DELETE = dict(name="pg-source", cluster_id=PROD, state="absent")
POST_CREATE = ("POST", "/v2/kafka/connector")
POST_UPDATE = ("POST", "/v2/kafka/update-connector/" + MONGO_SINK)

# name: the case; args: the module's options; fault: what the emulator does to the first matching
# request; sent: the mutations of the run with the fault; failed: a regular expression its message
# matches (None: it succeeds); again: the mutations of the second run, without the fault.
FAULT_CASES = [
    dict(name="create, 500 after the API acted", args=CREATE,
         fault=dict(mode="status", status=500, method="POST", processed=True),
         sent=[POST_CREATE], failed=r"^HTTP 500 from 127\.0\.0\.1:\d+ for POST /v2/kafka/connector: internal error\.$", again=[]),
    dict(name="create, 503", args=CREATE, fault=dict(mode="status", status=503, method="POST"),
         sent=[POST_CREATE, POST_CREATE], failed=None, again=[]),
    dict(name="create, 429", args=CREATE, fault=dict(mode="rate_limit", retry_after=0, method="POST"),
         sent=[POST_CREATE, POST_CREATE], failed=None, again=[]),
    dict(name="update, 500", args=UPDATE, fault=dict(mode="status", status=500, method="POST"),
         sent=[POST_UPDATE], failed=r"^HTTP 500 from .* for POST /v2/kafka/update-connector/", again=[POST_UPDATE]),
    dict(name="update, 503", args=UPDATE, fault=dict(mode="status", status=503, method="POST", count=2),
         sent=[POST_UPDATE] * 3, failed=None, again=[]),
    dict(name="delete, 502 after the API acted", args=DELETE,
         fault=dict(mode="status", status=502, method="DELETE", processed=True),
         sent=[("DELETE", CONNECTOR + PG_SOURCE)], failed=r"^HTTP 502 from .* for DELETE /v2/kafka/connector/", again=[]),
    dict(name="delete, 503", args=DELETE, fault=dict(mode="status", status=503, method="DELETE"),
         sent=[("DELETE", CONNECTOR + PG_SOURCE)] * 2, failed=None, again=[]),
    dict(name="pause, connection lost after the API acted", args=dict(connector_id=MONGO_SINK, running_state="paused"),
         fault=dict(mode="drop", method="POST", processed=True),
         sent=[("POST", CONNECTOR + MONGO_SINK + "/pause")], failed=r"POST /v2/kafka/connector/%s/pause" % MONGO_SINK, again=[]),
    dict(name="start, 503", args=dict(connector_id=S3_ARCHIVE, running_state="running"),
         fault=dict(mode="status", status=503, method="POST"),
         sent=[("POST", CONNECTOR + S3_ARCHIVE + "/start")] * 2, failed=None, again=[]),
    dict(name="restart, 500", args=dict(connector_id=PG_SOURCE, running_state="running"),
         fault=dict(mode="status", status=500, method="POST"),
         sent=[("POST", CONNECTOR + PG_SOURCE + "/restart")], failed=r"^HTTP 500 from .* for POST /v2/kafka/connector/.*/restart",
         again=[("POST", CONNECTOR + PG_SOURCE + "/restart")]),
]


def test_each_mutation_is_repeated_only_when_the_api_did_not_act(ansible, tmp_path):
    cases = [dict(name=case["name"], args=case["args"], fault=case["fault"]) for case in FAULT_CASES]
    ansible("lifecycle_faults.yml", "-vvvv", extra_vars=dict(fault_cases=cases))
    results = dict((result["name"], result) for result in json.loads((tmp_path / "lifecycle_faults.json").read_text()))
    for case in FAULT_CASES:
        result = results[case["name"]]
        first, again = result["runs"]
        count = int(result["count"])
        where = "%s: %s" % (case["name"], json.dumps(result, indent=1)[:3000])
        sent = [tuple(entry) for entry in result["log"][:count] if entry[0] != "GET"]
        assert sent == case["sent"], where
        assert [tuple(entry) for entry in result["log"][count:] if entry[0] != "GET"] == case["again"], where
        if case["failed"] is None:
            assert not first.get("failed") and first["changed"], where
        else:
            assert first["failed"] and first["changed"] is False, where
            assert re.search(case["failed"], first["msg"]), where
        # whatever happened the first time, the second run ends in the wanted state
        assert not again.get("failed"), where
    # the create whose answer was lost did create the connector, and only once
    created = results["create, 500 after the API acted"]["runs"][1]
    assert created["changed"] is False and created["connector"]["name"] == "lc-orders"


# --- secrets at -vvvv --diff, in the worker process and in a module process ---------------------------------

SECRETS = dict(uri="Lc-Uri-Secret-901", password="Lc-Db-Secret-902", changed="Lc-Changed-Secret-903",
               wrong_scheme="Lc-Wrong-Secret-904", invalid="Lc-Invalid-Secret-905", refused="Lc-Refused-Secret-906")


def test_secret_property_values_never_appear_at_high_verbosity(ansible, tmp_path):
    # From a file: ansible-playbook -vvvv prints its own command line, -e values included.
    variables = tmp_path / "secrets.json"
    variables.write_text(json.dumps(dict(secrets=SECRETS)))
    output = ansible("lifecycle_secrets.yml", "-vvvv", "--diff", "-e", "@" + str(variables),
                     env=dict(ANSIBLE_INJECT_INVOCATION="true"))
    for secret in SECRETS.values():
        assert secret not in output, secret
    # the values the emulator already held are masked too
    assert "Mongo-Pa55w0rd" not in output
    # what was shown instead: masked options, masked properties, the diff
    assert NO_LOG_SHOWN in output
    assert "mongodb+srv://app:********@cluster0.example.net/orders" in output
    assert output.count("--- before") >= 5, output.count("--- before")
