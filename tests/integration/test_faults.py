# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Faults injected into the emulator and servers that misbehave on purpose, through real ansible-playbook runs.

playbooks/faults.yml runs each case on each of its paths; run_cases() holds every outcome to its case:
a result, or one sentence, the same on every path (the ansible fixture checks every run for a traceback
and the API key). Fields of a case: ``name``; ``paths`` (default worker and lookup; see
tasks/fault_case.yml); ``fault``, posted to the emulator's ``/_emulator/fault`` before each call;
``cluster_id`` (default the prod cluster; None: none); ``options``, of the module and the lookup alike.
Expected: ``ok`` (default false); ``requests`` the emulator saw and ``connectors`` returned, per call;
``says``, texts of the sentence; ``min_seconds`` (strict) and ``max_seconds`` (only catches a hang).
"""

from __future__ import annotations

import base64
import json
import os
import re
import resource
import shutil
import time
from urllib.parse import urlsplit

import pytest

SLACK = 30.0
EXPECTED_LIST = "expected a JSON list of connector objects."
WITHHELD = "the API's message is withheld: it repeats a credential."


def host_of(url):
    return urlsplit(url).netloc


def sentence_of(outcome):
    """The failure sentence of an outcome, without the lookup's wrapping."""
    return re.sub(r"^.*The lookup plugin '[^']+' failed: ", "", outcome["msg"], flags=re.S)


def run_cases(ansible, tmp_path, cases, playbook="faults.yml", env=None):
    """Run the cases at -vvv and check each outcome against its case; return {name: {path: outcome}} and the output."""
    for case in cases:
        case.setdefault("paths", ["worker", "lookup"])
        case.setdefault("options", {})
        if case.setdefault("cluster_id", "7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01") is None:
            del case["cluster_id"]
    # From a file: ansible-playbook echoes extra vars given on its command line at -vvvv.
    (tmp_path / "fault_cases.json").write_text(json.dumps(dict(fault_cases=cases)))
    output = ansible(playbook, "-vvv", "-e", "@%s" % (tmp_path / "fault_cases.json"), env=env)
    results = {}
    for outcome in json.loads((tmp_path / "faults.json").read_text()):
        results.setdefault(outcome["name"], {})[outcome["path"]] = outcome
    for case in cases:
        sentences = set()
        for path in case["paths"]:
            outcome = results[case["name"]][path]
            where = (case["name"], path, outcome)
            assert outcome["failed"] is not case.get("ok", False), where
            assert "requests" not in case or outcome["requests"] == case["requests"], where
            assert "connectors" not in case or len(outcome["connectors"]) == case["connectors"], where
            assert case.get("min_seconds", 0) <= outcome["seconds"] <= case.get("max_seconds", 3600), where
            if outcome["failed"]:
                sentence = sentence_of(outcome)
                assert "\n" not in sentence and sentence.endswith(".") and "MODULE FAILURE" not in sentence, where
                assert all(words in sentence for words in case.get("says", [])), where
                sentences.add(sentence)
        assert len(sentences) <= 1, (case["name"], sentences)
    return results, output


def test_server_errors_are_retried_as_configured_and_retry_after_is_honoured(ansible, emulator, tmp_path, it):
    listing = "%s for GET /v2/kafka/connectors/%s" % (host_of(emulator.url), it.prod)
    cases = [
        # the backoff: none before the first retry, 1 s before the second
        dict(name="two 502s, then data", fault=dict(mode="status", status=502, count=2), options=dict(retries=3),
             ok=True, requests=3, connectors=4, min_seconds=1),
        dict(name="a 500 that never ends", options=dict(retries=1),
             fault=dict(mode="status", status=500, count=-1, body={"error": "database is on fire"}),
             requests=2, says=["HTTP 500 from %s after 2 tries: database is on fire." % listing]),
        dict(name="an error page that repeats the credentials", fault=dict(mode="echo_auth", count=-1), options=dict(retries=0),
             requests=1, says=["HTTP 502 from %s: %s" % (listing, WITHHELD)]),
        # 1 s where the first retry's backoff is none
        dict(name="429 with Retry-After: 1, then data", fault=dict(mode="rate_limit", retry_after=1), options=dict(retries=1),
             ok=True, requests=2, connectors=4, min_seconds=1, max_seconds=1 + SLACK),
        dict(name="429 with Retry-After: 1, every time", fault=dict(mode="rate_limit", retry_after=1, count=-1),
             options=dict(retries=1), requests=2, min_seconds=1, says=["HTTP 429 from %s after 2 tries: rate limit exceeded." % listing]),
    ]
    _results, output = run_cases(ansible, tmp_path, cases)
    assert base64.b64encode(("%s:%s" % (it.email, it.api_key)).encode()).decode() not in output


def test_timeouts_lost_connections_and_unusable_answers_name_the_request(ansible, emulator, tls_emulator, tmp_path, unused_port, it):
    host, listing = host_of(emulator.url), "GET /v2/kafka/connectors/" + it.prod
    answer = "The answer from %s to %s is " % (host, listing)
    cases = [
        dict(name="slower than the timeout, every time", fault=dict(mode="slow", delay=2, count=-1), options=dict(timeout=0.5, retries=1),
             requests=2, min_seconds=1, max_seconds=1 + SLACK,
             says=["Timed out after 0.5 seconds waiting for %s to answer %s (2 tries)." % (host, listing)]),
        dict(name="connection refused", options=dict(api_url="http://127.0.0.1:%d" % unused_port, retries=1), requests=0,
             says=["Nothing accepts connections at 127.0.0.1:%d (Connection refused, 2 tries): is the API" % unused_port]),
        dict(name="a self-signed certificate", options=dict(api_url=tls_emulator.url, retries=2), requests=0,
             says=["TLS certificate verification failed for " + host_of(tls_emulator.url), "set ca_path", "validate_certs to false"]),
        dict(name="connection dropped every time", fault=dict(mode="drop", count=-1), options=dict(retries=1), requests=2,
             says=["The connection to %s was lost during %s (2 tries)" % (host, listing)]),
        dict(name="body cut off every time", fault=dict(mode="truncated", count=-1), options=dict(retries=1), requests=2,
             says=["The answer from %s to %s was cut off before its end (" % (host, listing), " bytes received, ", "; 2 tries)."]),
        dict(name="200 with an HTML page", fault=dict(mode="html"), requests=1, says=[answer + "an HTML page, not the API's JSON."]),
        dict(name="200 with a JSON object", fault=dict(mode="object"), requests=1, says=[answer + "a JSON object; " + EXPECTED_LIST]),
        dict(name="200 with a list of strings", fault=dict(mode="strings"), requests=1,
             says=[answer + "a JSON list holding a JSON string; " + EXPECTED_LIST]),
    ]
    run_cases(ansible, tmp_path, cases)
    assert tls_emulator.stats()["requests"] == 0


def test_http_to_a_tls_port_hints_at_https(ansible, tls_emulator, tmp_path, it):
    case = dict(name="http:// to a TLS port", options=dict(api_url=tls_emulator.url.replace("https:", "http:"), retries=0),
                says=["The connection to %s was lost during GET /v2/kafka/connectors/%s (1 try)" % (host_of(tls_emulator.url), it.prod),
                      "if that port serves TLS, api_url must start with https://."])
    run_cases(ansible, tmp_path, [case])


def test_redirect_to_another_host_does_not_carry_the_credentials(ansible, emulator, second_emulator, tmp_path, it):
    host, other = host_of(emulator.url), "localhost:%d" % urlsplit(second_emulator.url).port
    path = "/v2/kafka/connectors/" + it.prod
    cases = [
        dict(name="redirect to another host", fault=dict(mode="redirect", location="http://%s%s" % (other, path)), requests=1,
             says=["Authentication failed at %s (redirected from %s) (HTTP 401 for GET %s: Unauthorized); credentials are never "
                   "sent to another host" % (other, host, path)]),
        dict(name="redirect within the same host", fault=dict(mode="redirect", location=emulator.url + "/v2/kafka/connectors/" + it.staging),
             ok=True, requests=2, connectors=2),
    ]
    run_cases(ansible, tmp_path, cases)
    landed = second_emulator.stats()["requests_log"]
    assert len(landed) == 2 and not any(entry["authorization"] for entry in landed)
    assert all(entry["authorization"] for entry in emulator.stats()["requests_log"])


def test_hostile_servers_end_in_one_sentence_on_every_path(ansible, hostile_server, tmp_path):
    host, paths = host_of(hostile_server.url), ["worker", "process", "lookup"]

    def case(mode, says, **options):
        return dict(name=mode, paths=paths, cluster_id="c-1", says=says,
                    options=dict(dict(api_url="%s/%s" % (hostile_server.url, mode), timeout=2, retries=0), **options))

    def listing(mode):
        return "GET /%s/v2/kafka/connectors/c-1" % mode

    cases = [
        case("trickle", ["Timed out after 2 seconds waiting for %s to answer %s (1 try)." % (host, listing("trickle"))]),
        case("trickle_head", ["Timed out after 2 seconds waiting for %s to answer %s" % (host, listing("trickle_head"))]),
        case("endless_chunked", ["The answer from %s to %s is larger than 1 MiB (max_response_mb)" % (host, listing("endless_chunked"))],
             max_response_mb=1),
        case("bad_chunk", ["The answer from %s to %s was cut off before its end" % (host, listing("bad_chunk"))]),
        case("bad_status", ["The connection to %s was lost during %s (1 try)" % (host, listing("bad_status"))]),
        case("long_header", ["The connection to %s was lost during %s (1 try)" % (host, listing("long_header"))]),
        case("deep_json", ["The answer from %s to %s is nested deeper than 32 levels" % (host, listing("deep_json"))]),
        case("deep_properties", ["is nested deeper than 32 levels"]),
        case("bad_redirect", ["%s at %s could not be sent or answered: Invalid IPv6 URL." % (listing("bad_redirect"), host)]),
        dict(case("numeric_cluster_id", ["Invalid cluster_id of the cluster named 'numbered'", "a value of type int"],
                  cluster_name="numbered"), cluster_id=None),
        # made valid text (U+FFFD), so a module process can return it as the worker process does
        dict(case("lone_surrogate", []), ok=True, connectors=1),
        dict(case("invalid_utf8", []), ok=True, connectors=1),
    ]
    results, _output = run_cases(ansible, tmp_path, cases)
    # one request per path and case: nothing retried with retries 0, nothing lost
    assert hostile_server.requests() == dict((spec["name"], 3) for spec in cases)
    for name, shown in (("lone_surrogate", "bad \ufffd name"), ("invalid_utf8", "bad \ufffd\ufffd name")):
        assert [results[name][path]["connectors"][0]["name"] for path in paths] == [shown] * 3
    # a trickling server is cut off at the deadline, not after its 100,000 bytes
    for path in ("worker", "lookup"):
        assert 2 <= results["trickle"][path]["seconds"] < 2 + SLACK


def test_trust_store_ca_path_and_warnings_alike_on_every_path(ansible, tls_emulator, tls_certificate, tmp_path, it):
    # A project directory that is not the one ansible-playbook starts in, with its CA next to the playbook.
    project = tmp_path / "project"
    shutil.copytree(os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks"), str(project))
    (project / "certs").mkdir()
    shutil.copy(tls_certificate[0], str(project / "certs" / "ca.pem"))
    tls, paths = tls_emulator.url, ["worker", "process", "lookup"]
    cases = [
        dict(name="CA from SSL_CERT_FILE, no ca_path", options=dict(api_url=tls)),
        dict(name="ca_path relative to the playbook", options=dict(api_url=tls, ca_path="certs/ca.pem")),
        dict(name="validate_certs false", options=dict(api_url=tls, validate_certs=False)),
    ]
    for case in cases:
        case.update(ok=True, connectors=4, paths=paths)
    results, output = run_cases(ansible, tmp_path, cases, playbook=str(project / "faults.yml"),
                                env=dict(SSL_CERT_FILE=tls_certificate[0]))
    warning = ("TLS certificates of %s are not verified (validate_certs is false): use this only for a test endpoint you "
               "control." % host_of(tls))
    unverified = results["validate_certs false"]
    assert all(warning in unverified[path]["warnings"] for path in ("worker", "process"))
    assert "[WARNING]: " + warning in " ".join(output.split())
    # nothing printed behind Ansible's back
    assert "InsecureRequestWarning" not in output and "errantly sent data directly to stderr" not in output
    cases = [dict(name="ca_path from UPSTASH_CA_PATH", options=dict(api_url=tls), ok=True, connectors=4, paths=paths)]
    run_cases(ansible, tmp_path, cases, playbook=str(project / "faults.yml"), env=dict(UPSTASH_CA_PATH=tls_certificate[0]))


@pytest.mark.parametrize("plugin", ["module", "lookup"])
def test_the_tasks_timeout_ends_an_account_wide_call_and_nothing_is_sent_after(ansible, tmp_path, many_clusters_emulator, plugin):
    many = many_clusters_emulator
    started = time.monotonic()
    ansible("task_timeout.yml", extra_vars=dict(emulator_url=many.url, timed_plugin=plugin), env=dict(UPSTASH_API_URL=many.url))
    elapsed = time.monotonic() - started
    outcome = json.loads((tmp_path / "timed_out.json").read_text())
    sent = many.stats()["requests"]
    # Anything still queued or running would send more within a request's 2 seconds: nothing does.
    time.sleep(3)
    assert many.stats()["requests"] == sent
    assert outcome["failed"] and re.search(r"(?i)timed out|expected time frame", outcome["msg"]), (outcome, sent, elapsed)
    # the cluster list (2 s), then one round of at most 8 concurrent requests, cut off at 3 s: never the
    # 43 requests (12 s at 8 at a time) the call would have sent
    assert 2 <= sent <= 1 + 8, sent
    assert elapsed < 3 + SLACK


def test_a_gzip_bomb_is_refused_at_the_size_limit_in_bounded_memory(ansible, hostile_server, tmp_path):
    bomb, expanded = hostile_server.gzip_bomb()
    case = dict(name="gzip_bomb", cluster_id="c-1", paths=["worker", "process", "lookup"],
                options=dict(api_url=hostile_server.url + "/gzip_bomb", timeout=300, retries=0, max_response_mb=64),
                says=["The answer from %s to GET /gzip_bomb/v2/kafka/connectors/c-1 is larger than 64 MiB (max_response_mb)"
                      % host_of(hostile_server.url)])
    run_cases(ansible, tmp_path, [case])
    # The largest process of every ansible-playbook run so far: the worker, the module process or the controller.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print("gzip bomb: %.1f MB on the wire, %.1f GiB decompressed; peak RSS %.0f MiB" % (len(bomb) / 1e6, expanded / 2 ** 30, peak / 2 ** 20))
    assert len(bomb) < 4 * 1024 * 1024 and expanded > 2 * 1024 ** 3
    # what the limit lets in, plus the interpreter and one chunk: far from the gigabytes the answer expands to
    assert peak < 1024 * 1024 * 1024
