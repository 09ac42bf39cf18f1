# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""upstash.cloud.upstash_kafka_connector under faults, against the API double of hostile_server.py.

playbooks/lifecycle_faults.yml runs each case of CASES in the worker process and in a module process,
at -vvv with Ansible's log file on. Fields of a case:

``args``: the module's options; ``connectors``: what the double holds (cluster c-1); ``faults``: see
ApiDouble; ``task_timeout`` / ``check``: the task keywords; ``again``: run a second time, without the
faults. Expected: ``failed`` (a regular expression the one-sentence message matches; absent: success),
``changed`` of the first run, ``sent``: every mutation the double received in the case, in order;
``seconds``: the most the first run may take (a hang, not a timing measurement).
"""

from __future__ import annotations

import json
import re
import time

CREATE = "/v2/kafka/connector"
SECRETS = ("secretvalue", "Listed-Info-3a", "Listed-Sse-4b", "Create-Info-5b", "Create-Sse-6c", "Update-Info-7d")
TIMED_OUT = r"(?i)timed out|expected time frame"
STILL_PENDING = r"^Kafka connector 'slow' was still 'pending' after waiting 3 seconds \(wait_timeout\)\.$"


def create(name):
    return dict(name=name, cluster_id="c-1", properties={"connector.class": "com.example.Sink", "topics": "orders",
                "value.converter.basic.auth.user.info": "fred:Create-Info-5b", "s3.sse.customer.key": "Create-Sse-6c"})


def connector(name, **fields):
    return dict(dict(connector_id=name, name=name, state="running", properties={"topics": "orders"}), **fields)


def fault(method, path, do, **options):
    return dict(options, method=method, path=path, do=do)


LEAKY = connector(
    "leaky", state="failed",
    state_error_message="Connector configuration is invalid: basic.auth.user.info = fred:secretvalue",
    tasks=[{"id": 0, "state": "FAILED", "trace": "ConfigException: basic.auth.user.info = fred:secretvalue\n\tat x.Y(Y.java:1)"}],
    properties={"connector.class": "x.Y", "value.converter.basic.auth.user.info": "fred:Listed-Info-3a", "s3.sse.customer.key": "Listed-Sse-4b"})
SLOW = dict(connectors=[connector("slow", state="pending")], args=dict(name="slow", cluster_id="c-1", wait=True, wait_timeout=3),
            failed=STILL_PENDING, sent=[], seconds=15)

CASES = [
    dict(name="a create whose answer was lost", args=create("lost"), again=True,
         faults=[fault("POST", CREATE, "drop", act=True)], changed=False, sent=[("POST", CREATE)],
         failed=r"^The connection to 127\.0\.0\.1:\d+ was lost during POST /v2/kafka/connector \(1 try, not repeated as the API may have acted on it\)"),
    dict(name="a delete whose answer was reset", connectors=[connector("doomed")], args=dict(name="doomed", cluster_id="c-1", state="absent"),
         again=True, faults=[fault("DELETE", ".*", "reset", act=True)], changed=False, sent=[("DELETE", CREATE + "/doomed")],
         failed=r"^The connection to .* was lost during DELETE /v2/kafka/connector/doomed \(1 try, not repeated"),
    dict(name="a create refused with 503, then 429", args=create("refused"), changed=True, sent=[("POST", CREATE)] * 3,
         faults=[fault("POST", CREATE, "answer", status=503, body={"error": "busy"}),
                 fault("POST", CREATE, "answer", status=429, headers={"Retry-After": "1"}, body={"error": "slow down"})]),
    dict(name="check mode", args=create("dry"), check=True, changed=True, sent=[]),
    dict(name="a slow first read, task timeout 3", args=create("late-{path}"), task_timeout=3,
         faults=[fault("GET", ".*", "delay", seconds=6)], failed=TIMED_OUT, sent=[], seconds=15),
    dict(name="the task ends during the wait", connectors=[connector("waiting-{path}", state="pending")], task_timeout=3,
         args=dict(name="waiting-{path}", cluster_id="c-1", wait=True, wait_timeout=60), failed=TIMED_OUT, sent=[], seconds=15),
    dict(SLOW, name="every poll answered 429 Retry-After 30",
         faults=[fault("GET", CREATE + "/slow", "answer", count=-1, status=429, headers={"Retry-After": "30"}, body={"error": "slow down"})]),
    dict(SLOW, name="a poll that hangs", args=dict(SLOW["args"], timeout=20), faults=[fault("GET", CREATE + "/slow", "hang", count=-1)]),
    dict(name="two deletes racing", connectors=[connector("raced")], args=dict(name="raced", cluster_id="c-1", state="absent"),
         faults=[fault("DELETE", ".*", "answer", act=True, status=404, body={"error": "connector not found"})], sent=[("DELETE", CREATE + "/raced")]),
    dict(name="a create answered without connector_id", args=create("odd"), changed=True, sent=[("POST", CREATE)],
         faults=[fault("POST", CREATE, "answer", act=True, status=200, body={"name": "x", "state": "pending"})],
         failed=r"^The API's answer for the new connector 'odd' has no connector_id; it is not a connector as the API describes one\.$"),
    dict(name="a listed connector without connector_id", connectors=[dict(name="nameless", state="running")],
         args=dict(name="nameless", cluster_id="c-1", properties={"topics": "t"}), changed=False, sent=[],
         failed=r"^The API's answer for the connector named 'nameless' has no connector_id; it is not a connector as the API describes one\.$"),
    dict(name="properties as text", connectors=[connector("flat", properties="a=b")], args=dict(name="flat", cluster_id="c-1", properties={"a": "c"}),
         changed=False, sent=[], failed=r"^The API's answer for the connector named 'flat' has properties that are not a JSON object; "),
    dict(name="a reconfigure answered OK", connectors=[connector("tuned")], args=dict(name="tuned", cluster_id="c-1", properties={"topics": "b"}),
         faults=[fault("POST", "/v2/kafka/update-connector/tuned", "answer", act=True, status=200, body='"OK"')],
         changed=True, sent=[("POST", "/v2/kafka/update-connector/tuned")]),
    dict(name="secrets in the error and the trace", connectors=[LEAKY], changed=True, sent=[("POST", "/v2/kafka/update-connector/leaky")],
         args=dict(name="leaky", cluster_id="c-1", wait=True, properties={"value.converter.basic.auth.user.info": "fred:Update-Info-7d"}),
         failed=r"^Kafka connector 'leaky' is failed: Connector configuration is invalid: basic\.auth\.user\.info = \*{8}$"),
]
PATHS = ("worker", "process")


def test_the_lifecycle_module_under_faults_on_both_paths(ansible, api_double, tmp_path):
    variables, log = tmp_path / "cases.json", tmp_path / "ansible.log"
    runs = [json.loads(json.dumps(dict(case, label="%s (%s)" % (case["name"], path), path=path)).replace("{path}", path))
            for case in CASES for path in PATHS]
    api_double.cases = dict([(run["label"], run) for run in runs] + [("listing", dict(label="listing", connectors=[LEAKY]))])
    variables.write_text(json.dumps(dict(lifecycle_runs=runs, double_url=api_double.url)))
    output = ansible("lifecycle_faults.yml", "-vvv", "-e", "@%s" % variables,
                     env=dict(UPSTASH_API_URL=api_double.url, ANSIBLE_LOG_PATH=str(log)))
    # A module process that outlived its task would send within these seconds.
    time.sleep(4)
    results = dict((result["label"], result) for result in json.loads((tmp_path / "lifecycle_faults.json").read_text()))
    sent = api_double.log
    # Nothing was sent after a task's timeout, by either path: no create, no poll.
    ended = dict((result["label"], result["ended"]) for result in results.values())
    assert not [entry for entry in sent if entry["method"] == "POST" and str((entry["body"] or {}).get("name")).startswith("late-")]
    late = [entry for entry in sent if "/waiting-" in entry["path"]
            and entry["time"] > ended["the task ends during the wait (%s)" % entry["path"].rsplit("-", 1)[1]] + 1]
    assert late == [], late
    for case in CASES:
        for path in PATHS:
            label = "%s (%s)" % (case["name"], path)
            result = results[label]
            first, again, seconds = result["first"], result["again"], result["ended"] - api_double.started[label]
            where = "%s: %s, %.1f s" % (label, json.dumps(result)[:2000], seconds)
            if case.get("failed"):
                assert first.get("failed") and re.search(case["failed"], first["msg"]) and "\n" not in first["msg"], where
            else:
                assert not first.get("failed"), where
            assert "changed" not in case or first["changed"] is case["changed"], where
            assert [(entry["method"], entry["path"]) for entry in sent if entry["label"] == label and entry["method"] != "GET"] == case["sent"], where
            # converged: nothing left to do, whatever became of the first run's call
            assert not case.get("again") or (not again.get("failed") and again["changed"] is False), where
            assert seconds < case.get("seconds", 60), where
            # a wait that ended at its wait_timeout, not before
            assert case.get("failed") != STILL_PENDING or seconds >= 2.5, where
    assert results["a reconfigure answered OK (process)"]["first"]["connector"]["properties"] == {"topics": "b"}
    logged = log.read_text()
    assert "lifecycle_faults.yml" in logged
    for secret in SECRETS:
        assert secret not in output and secret not in logged, secret
