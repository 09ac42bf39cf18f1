# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fault matrix of docs/fault-matrix.md, run with real ansible-playbook against the emulator.

Every fault ends in success after retries or in one sentence that says what went wrong; no run prints the API key
or a traceback, even at -vvvv (the ansible fixture checks every run for both).

Each test hands a list of cases to playbooks/faults.yml, which runs every case once through the module and once
through the lookup (unless the case names its ``plugins``), resetting the emulator in between. Fields of a case:

``name``
    what the case is about, shown in the playbook output.
``fault``
    posted to the emulator's ``/_emulator/fault`` before the call (see emulator/upstash_emulator.py).
``cluster_id``
    the id asked for (default: the prod cluster).
``options``
    module options, and the same as lookup keyword arguments.
``ok``
    whether the call must succeed.
``requests``
    how many requests under /v2 the (first) emulator must have seen: exactly this many.
``connectors``
    how many connectors a successful call returns.
``says`` / ``lacks``
    texts the failure message must contain / must not contain.
``min_seconds`` / ``max_seconds``
    bounds on the time the call took, measured in the playbook.
"""

from __future__ import annotations

import base64
import json
import os
import re
import resource
import shutil
import tempfile
import time
from urllib.parse import urlsplit

import pytest

# The machine is shared and noisy: lower time bounds are strict, upper bounds only catch a hang.
SLACK = 30.0
WRONG_KEY = "wrong-key-5e1f0c"
EXPECTED_LIST = "expected a JSON list of connector objects"
MASK = "********"


def host_of(url):
    return urlsplit(url).netloc


def run_cases(ansible, cases, **kwargs):
    """Run the cases at -vvvv; return the output and the wall time of the whole run."""
    # From a file: at -vvvv ansible-playbook echoes extra vars given on its command line, wrong keys included.
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "cases.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(dict(fault_cases=cases), handle)
        started = time.monotonic()
        output = ansible("faults.yml", "-vvvv", "-e", "@" + path, **kwargs)
        return output, time.monotonic() - started


def test_server_errors_are_retried_exactly_as_configured(ansible, emulator, it):
    host = host_of(emulator.url)
    cases = [
        dict(name="one 500, then data", fault=dict(mode="status", status=500), options=dict(retries=3),
             ok=True, requests=2, connectors=4),
        # backoff 0.5 s x 2^n from the second retry on: 0 + 1 s
        dict(name="two 502s, then data", fault=dict(mode="status", status=502, count=2), options=dict(retries=3),
             ok=True, requests=3, connectors=4, min_seconds=1),
        # 0 + 1 + 2 s
        dict(name="three 503s, then data", fault=dict(mode="status", status=503, count=3), options=dict(retries=3),
             ok=True, requests=4, connectors=4, min_seconds=3),
        dict(name="a 500 that never ends", options=dict(retries=2),
             fault=dict(mode="status", status=500, count=-1, body={"error": "database is on fire"}),
             ok=False, requests=3, says=["HTTP 500 from %s for GET /v2/kafka/connectors/%s after 3 tries: database is on fire." % (host, it.prod)]),
        dict(name="a 502 with a plain-text body that never ends", options=dict(retries=1),
             fault=dict(mode="status", status=502, count=-1, body="Bad gateway: upstream is restarting"),
             ok=False, requests=2, says=["HTTP 502 from " + host, "after 2 tries", "Bad gateway: upstream is restarting"]),
        dict(name="retries 0 with a healthy API", options=dict(retries=0), ok=True, requests=1, connectors=4),
        dict(name="retries 0 with a 503", fault=dict(mode="status", status=503, count=-1), options=dict(retries=0),
             ok=False, requests=1, says=["HTTP 503 from " + host, "internal error"], lacks=["tries"]),
        dict(name="an error page that repeats the credentials", fault=dict(mode="echo_auth", count=-1), options=dict(retries=0),
             ok=False, requests=1, says=["HTTP 502", "Authorization: Basic " + MASK, "(%s:%s)" % (it.email, MASK)]),
    ]
    output, _elapsed = run_cases(ansible, cases)
    # the key in its encoded form, as the error page repeated it
    assert base64.b64encode(("%s:%s" % (it.email, it.api_key)).encode()).decode() not in output


def test_retry_after_is_honoured(ansible):
    cases = [
        dict(name="429 with Retry-After: 2, then data", fault=dict(mode="rate_limit", retry_after=2), options=dict(retries=1),
             ok=True, requests=2, connectors=4, min_seconds=2, max_seconds=2 + SLACK),
        dict(name="429 with Retry-After: 1, every time", fault=dict(mode="rate_limit", retry_after=1, count=-1),
             options=dict(retries=1), ok=False, requests=2, min_seconds=1, max_seconds=1 + SLACK,
             says=["HTTP 429", "after 2 tries", "rate limit exceeded"]),
    ]
    _output, elapsed = run_cases(ansible, cases)
    # every case waits as asked once, with the module and with the lookup
    assert elapsed >= 2 * (2 + 1)
    assert elapsed < 2 * (2 + 1) + 2 * SLACK


def test_read_timeout_fails_in_bounded_time_and_names_the_host(ansible, emulator):
    timeout, retries = 1, 1
    bound = timeout * (retries + 1)  # the first retry has no backoff
    cases = [
        dict(name="a server slower than the timeout, every time", fault=dict(mode="slow", delay=4, count=-1),
             options=dict(timeout=timeout, retries=retries), ok=False, requests=2, min_seconds=bound, max_seconds=bound + SLACK,
             says=["Timed out after 1 seconds waiting for %s to answer GET" % host_of(emulator.url), "(2 tries)"]),
        dict(name="a server slower than the timeout once", fault=dict(mode="slow", delay=4),
             options=dict(timeout=timeout, retries=retries), ok=True, requests=2, connectors=4, min_seconds=timeout),
    ]
    _output, elapsed = run_cases(ansible, cases)
    assert elapsed >= 2 * (bound + timeout)
    assert elapsed < 2 * (bound + timeout) + 2 * SLACK


def test_connection_failures_name_the_host_and_are_retried(ansible, emulator, unused_port):
    host = host_of(emulator.url)
    cases = [
        dict(name="connection refused", options=dict(api_url="http://127.0.0.1:%d" % unused_port, retries=1),
             ok=False, requests=0, says=["Could not connect to 127.0.0.1:%d for GET" % unused_port, "(2 tries): Connection refused."]),
        dict(name="connection dropped once, then data", fault=dict(mode="drop"), options=dict(retries=1),
             ok=True, requests=2, connectors=4),
        dict(name="connection dropped every time", fault=dict(mode="drop", count=-1), options=dict(retries=1),
             ok=False, requests=2, says=["The connection to %s was lost during GET" % host, "(2 tries)", "closed connection"]),
        dict(name="body cut off once, then data", fault=dict(mode="truncated"), options=dict(retries=1),
             ok=True, requests=2, connectors=4),
        dict(name="body cut off every time", fault=dict(mode="truncated", count=-1), options=dict(retries=2),
             ok=False, requests=3, says=["The answer from %s to GET" % host, "was cut off before its end", "bytes received", "3 tries"]),
        dict(name="body cut off, retries 0", fault=dict(mode="truncated", count=-1), options=dict(retries=0),
             ok=False, requests=1, says=["was cut off before its end", "1 try)"]),
    ]
    run_cases(ansible, cases)


def test_unusable_answers_say_what_was_expected(ansible, emulator):
    answer = "The answer from %s to GET" % host_of(emulator.url)
    cases = [
        dict(name="200 with an HTML page", fault=dict(mode="html"), ok=False, requests=1,
             says=[answer, "is an HTML page; " + EXPECTED_LIST]),
        dict(name="200 with a JSON object", fault=dict(mode="object"), ok=False, requests=1,
             says=[answer, "is a JSON object; " + EXPECTED_LIST]),
        dict(name="200 with a list of strings", fault=dict(mode="strings"), ok=False, requests=1,
             says=[answer, "item 0 is a JSON string; " + EXPECTED_LIST]),
        # made valid text (U+FFFD) by the client, so a module process can return it as the worker process does
        dict(name="200 with invalid UTF-8", fault=dict(mode="invalid_utf8"), ok=True, requests=1, connectors=1),
        dict(name="200 with plain text", fault=dict(mode="status", status=200, body="OK"), ok=False, requests=1,
             says=[answer, "is text that is not JSON; " + EXPECTED_LIST]),
    ]
    run_cases(ansible, cases)


def test_credentials_and_unknown_clusters_are_reported_clearly(ansible, emulator, it):
    host = host_of(emulator.url)
    cases = [
        dict(name="wrong API key (401)", options=dict(api_key=WRONG_KEY), ok=False, requests=1,
             says=["Authentication failed at %s (HTTP 401: Unauthorized)" % host, "check the email and api_key options"],
             lacks=[it.email]),
        dict(name="key without access (403)", options=dict(retries=3),
             fault=dict(mode="status", status=403, count=-1, body={"error": "this API key may not read Kafka clusters"}),
             ok=False, requests=1, says=["Authentication failed", "HTTP 403: this API key may not read Kafka clusters", "api_key"],
             lacks=[it.email]),
        dict(name="unknown cluster (404)", cluster_id="no-such-cluster-42", ok=False, requests=1,
             says=["Kafka cluster 'no-such-cluster-42' was not found at %s (HTTP 404: cluster not found)." % host]),
    ]
    output, _elapsed = run_cases(ansible, cases)
    assert WRONG_KEY not in output


def test_bad_ids_are_refused_before_any_request(ansible):
    refused = ["Invalid cluster_id", "it must be a non-empty string of letters, digits, '-' and '_'."]
    cases = [
        dict(name="cluster_id %s" % json.dumps(value), cluster_id=value, ok=False, requests=0, says=refused)
        for value in ("a/b", "a?b", "a%2Fb", "a b", "..", "../clusters", "", "a\nb")
    ]
    cases += [
        # The module's str option turns a mapping into its text, which is refused all the same.
        dict(name="cluster_id a mapping", cluster_id={"id": 7}, ok=False, requests=0, says=refused),
        # The module's str option turns a number into a valid id, as Ansible does for every str option.
        dict(name="cluster_id a number", cluster_id=42, plugins=["lookup"], ok=False, requests=0,
             says=["Invalid cluster_id a value of type "]),
        dict(name="connector_id with a slash", options=dict(connector_id="../x"), ok=False, requests=0,
             says=["Invalid connector_id '../x'"]),
    ]
    run_cases(ansible, cases)


def test_tls_is_verified_unless_told_otherwise(ansible, emulator, tls_emulator, tls_certificate):
    tls = tls_emulator.url
    cases = [
        dict(name="self-signed certificate, default settings", options=dict(api_url=tls, retries=2), ok=False, requests=0,
             says=["TLS certificate verification failed for " + host_of(tls), "set ca_path", "validate_certs to false"]),
        dict(name="validate_certs false", options=dict(api_url=tls, validate_certs=False), ok=True, requests=0, connectors=4),
        dict(name="ca_path to the certificate", options=dict(api_url=tls, ca_path=tls_certificate[0]), ok=True, requests=0,
             connectors=4),
    ]
    run_cases(ansible, cases)
    # only the two accepted cases, module and lookup, became requests, each with credentials
    log = tls_emulator.stats()["requests_log"]
    assert len(log) == 4 and all(entry["authorization"] for entry in log)


def test_redirect_to_another_host_does_not_carry_the_credentials(ansible, emulator, second_emulator, it):
    host = host_of(emulator.url)
    other = "localhost:%d" % urlsplit(second_emulator.url).port
    path = "/v2/kafka/connectors/" + it.prod
    cases = [
        dict(name="redirect to another host", fault=dict(mode="redirect", location="http://%s%s" % (other, path)),
             ok=False, requests=1,
             says=["Authentication failed at %s (HTTP 401: Unauthorized) after %s redirected GET %s there" % (other, host, path),
                   "credentials are never sent to another host"]),
        dict(name="redirect within the same host",
             fault=dict(mode="redirect", location=emulator.url + "/v2/kafka/connectors/" + it.staging),
             ok=True, requests=2, connectors=2),
    ]
    run_cases(ansible, cases)
    landed = second_emulator.stats()["requests_log"]
    assert len(landed) == 2 and not any(entry["authorization"] for entry in landed)
    # every request that reached the first emulator, after a redirect to itself too, carried the credentials
    kept = emulator.stats()["requests_log"]
    assert len(kept) >= 2 and all(entry["authorization"] for entry in kept)


# --- hostile servers and unusable input, through the worker process, a module process and the lookup ---

PATHS = ("worker", "process", "lookup")


def run_hostile(ansible, tmp_path, cases, *args, playbook="hostile.yml", env=None):
    """Run the cases of playbooks/hostile.yml; return {case name: {path: outcome}} and the output."""
    with open(tmp_path / "hostile_cases.json", "w", encoding="utf-8") as handle:
        json.dump(dict(hostile_cases=cases), handle)
    # At -vvv, where ansible-core 2.17 printed a traceback for each of these before they became sentences.
    output = ansible(playbook, "-vvv", "-e", "@%s" % (tmp_path / "hostile_cases.json"), *args, env=env)
    results = json.loads((tmp_path / "hostile.json").read_text())
    return dict((result["name"], result) for result in results), output


def sentence_of(outcome):
    """The failure sentence of an outcome, without the lookup's wrapping."""
    return re.sub(r"^.*The lookup plugin '[^']+' failed: ", "", outcome["msg"], flags=re.S)


def check_one_sentence_everywhere(result, says):
    sentences = [sentence_of(result[path]) for path in PATHS]
    for path in PATHS:
        assert result[path]["failed"], (result["name"], path, result[path])
    # the same sentence on every path, one line, ending with a full stop
    assert len(set(sentences)) == 1, (result["name"], sentences)
    sentence = sentences[0]
    assert "\n" not in sentence and sentence.endswith("."), sentence
    assert "Traceback" not in sentence and "MODULE FAILURE" not in sentence
    for words in says:
        assert words in sentence, (result["name"], sentence)
    return sentence


def test_hostile_servers_end_in_one_sentence_on_every_path(ansible, hostile_server, tmp_path):
    host = host_of(hostile_server.url)

    def case(mode, **options):
        options = dict(dict(api_url="%s/%s" % (hostile_server.url, mode), timeout=2, retries=0), **options)
        return dict(name=mode, cluster_id="c-1", options=options)

    listing = "GET /v2/kafka/connectors/c-1"
    cases = {
        "trickle": (case("trickle"), ["Timed out after 2 seconds waiting for %s to answer %s (1 try)." % (host, listing)]),
        "trickle_head": (case("trickle_head"), ["Timed out after 2 seconds waiting for %s to answer" % host]),
        "endless_chunked": (case("endless_chunked", max_response_mb=1),
                            ["The answer from %s to %s is larger than 1 MiB (max_response_mb)" % (host, listing)]),
        "bad_chunk": (case("bad_chunk"), ["The answer from %s to %s was cut off before its end" % (host, listing)]),
        "bad_status": (case("bad_status"), ["The connection to %s was lost during %s" % (host, listing)]),
        "long_header": (case("long_header"), ["The connection to %s was lost during %s" % (host, listing)]),
        "deep_json": (case("deep_json"), ["The answer from %s to %s is nested deeper than 32 levels" % (host, listing)]),
        "deep_properties": (case("deep_properties"), ["is nested deeper than 32 levels"]),
        "bad_redirect": (case("bad_redirect"), ["%s redirected %s to an address that cannot be used" % (host, listing),
                                                "Invalid IPv6 URL"]),
    }
    results, _output = run_hostile(ansible, tmp_path, [spec for spec, _says in cases.values()])
    for name, (_spec, says) in cases.items():
        check_one_sentence_everywhere(results[name], says)
    # each path sent exactly one request per case: nothing retried with retries 0, nothing lost
    assert hostile_server.requests() == dict((name, 3) for name in cases)
    # a trickling server is cut off at the deadline, not after its 100,000 bytes
    for path in ("worker", "lookup"):
        assert 2 <= results["trickle"][path]["seconds"] < 2 + SLACK
    print("trickle cut off after: " + ", ".join("%s %.2f s" % (path, results["trickle"][path]["seconds"]) for path in PATHS))


def test_data_a_module_process_cannot_return_is_made_safe_the_same_way(ansible, hostile_server, tmp_path):
    cases = [dict(name=mode, cluster_id="c-1", options=dict(api_url="%s/%s" % (hostile_server.url, mode)))
             for mode in ("lone_surrogate", "invalid_utf8")]
    results, _output = run_hostile(ansible, tmp_path, cases)
    for name, shown in (("lone_surrogate", "bad \ufffd name"), ("invalid_utf8", "bad \ufffd\ufffd name")):
        for path in PATHS:
            outcome = results[name][path]
            assert not outcome["failed"], (name, path, outcome)
            assert [connector["name"] for connector in outcome["connectors"]] == [shown], (name, path)


def test_unusable_input_is_refused_in_one_sentence_before_any_request(ansible, hostile_server, tmp_path):
    never = hostile_server.url + "/never"
    long_id = "x/" + "y" * 100000
    cases = {
        "timeout 1e300": (dict(timeout=1e300), ["Invalid timeout 1e+300: it must be a number of seconds greater than 0 and at most 3600."]),
        "retries 1000000000": (dict(retries=1000000000), ["Invalid retries 1000000000: it must be a whole number from 0 to 10."]),
        "api_key outside Latin-1": (dict(api_key="key-\u2013-pasted"), ["Invalid api_key: HTTP basic authentication carries only Latin-1"]),
        "email outside Latin-1": (dict(email="ops\u20ac@example.com"), ["Invalid email: HTTP basic authentication carries only Latin-1"]),
        "ca_path missing": (dict(ca_path="certs/missing-ca.pem"),
                            ["Invalid ca_path ", "/playbooks/certs/missing-ca.pem: no such file or directory"]),
        "max_response_mb 0": (dict(max_response_mb=0), ["Invalid max_response_mb 0"]),
    }
    specs = [dict(name=name, cluster_id="c-1", options=dict(dict(api_url=never), **options)) for name, (options, _says) in cases.items()]
    specs.append(dict(name="a 100,000-character id", cluster_id=long_id, options=dict(api_url=never)))
    results, _output = run_hostile(ansible, tmp_path, specs)
    for name, (_options, says) in cases.items():
        check_one_sentence_everywhere(results[name], says)
    sentence = check_one_sentence_everywhere(results["a 100,000-character id"], ["Invalid cluster_id 'x/yyyy"])
    assert len(sentence) < 250
    assert hostile_server.requests() == {}


def test_a_cluster_id_that_is_not_a_string_is_named_as_such(ansible, hostile_server, tmp_path):
    spec = dict(name="numeric", options=dict(api_url=hostile_server.url + "/numeric_cluster_id", cluster_name="numbered"))
    results, _output = run_hostile(ansible, tmp_path, [spec])
    check_one_sentence_everywhere(results["numeric"], [
        "The Kafka cluster named 'numbered' has no usable id in the account's cluster list: Invalid cluster_id a value of type int"])


def test_trust_store_ca_path_and_warnings_alike_on_every_path(ansible, tls_emulator, tls_certificate, tmp_path, it):
    # A project directory that is not the one ansible-playbook starts in, with its CA next to the playbook.
    project = tmp_path / "project"
    shutil.copytree(os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks"), str(project))
    (project / "certs").mkdir()
    shutil.copy(tls_certificate[0], str(project / "certs" / "ca.pem"))
    playbook = str(project / "hostile.yml")
    tls, host = tls_emulator.url, host_of(tls_emulator.url)
    cases = [
        dict(name="CA from SSL_CERT_FILE, no ca_path", cluster_id=it.prod, options=dict(api_url=tls)),
        dict(name="ca_path relative to the playbook", cluster_id=it.prod, options=dict(api_url=tls, ca_path="certs/ca.pem")),
        dict(name="validate_certs false", cluster_id=it.prod, options=dict(api_url=tls, validate_certs=False)),
    ]
    results, output = run_hostile(ansible, tmp_path, cases, playbook=playbook, env=dict(SSL_CERT_FILE=tls_certificate[0]))
    for result in results.values():
        for path in PATHS:
            assert not result[path]["failed"], (result["name"], path, result[path]["msg"])
            assert len(result[path]["connectors"]) == 4
    warning = "TLS certificates of %s are not verified (validate_certs is false): use this only for a test endpoint you control." % host
    unverified = results["validate_certs false"]
    assert unverified["worker"]["warnings"] == unverified["process"]["warnings"] == [warning]
    # ansible-core 2.17 wraps long warnings over several lines
    assert "[WARNING]: " + warning in " ".join(output.split())
    # nothing printed behind Ansible's back
    assert "InsecureRequestWarning" not in output and "errantly sent data directly to stderr" not in output

    cases = [dict(name="ca_path from UPSTASH_CA_PATH", cluster_id=it.prod, options=dict(api_url=tls))]
    results, _output = run_hostile(ansible, tmp_path, cases, playbook=playbook, env=dict(UPSTASH_CA_PATH=tls_certificate[0]))
    for path in PATHS:
        assert len(results["ca_path from UPSTASH_CA_PATH"][path]["connectors"]) == 4


@pytest.mark.parametrize("plugin", ["module", "lookup"])
def test_the_tasks_timeout_ends_an_account_wide_call_and_nothing_is_sent_after(ansible, tmp_path, many_clusters_emulator, plugin):
    many = many_clusters_emulator
    started = time.monotonic()
    ansible("task_timeout.yml", extra_vars=dict(emulator_url=many.url, timed_plugin=plugin), env=dict(UPSTASH_API_URL=many.url))
    elapsed = time.monotonic() - started
    outcome = json.loads((tmp_path / "timed_out.json").read_text())
    sent = many.stats()["requests"]
    # Anything still queued or running would send more within a few seconds: nothing does.
    time.sleep(4)
    assert many.stats()["requests"] == sent
    # ansible-core 2.19: "Timed out after 5 second(s)"; 2.17: "failed to execute in the expected time frame (5)"
    assert outcome["failed"] and re.search(r"timed out|expected time frame", outcome["msg"], re.I), (outcome, sent, elapsed)
    # the cluster list (3 s), then one round of at most 8 concurrent requests, cut off at 5 s: never the 43 requests
    # (40 s at 8 at a time) the call would have sent
    assert 2 <= sent <= 1 + 8, sent
    assert elapsed < 5 + SLACK


def test_a_gzip_bomb_is_refused_at_the_size_limit_in_bounded_memory(ansible, hostile_server, tmp_path):
    bomb, expanded = hostile_server.gzip_bomb()
    spec = dict(name="gzip_bomb", cluster_id="c-1", options=dict(api_url=hostile_server.url + "/gzip_bomb", timeout=300, retries=0))
    results, _output = run_hostile(ansible, tmp_path, [spec])
    check_one_sentence_everywhere(results["gzip_bomb"], [
        "The answer from %s to GET /v2/kafka/connectors/c-1 is larger than 512 MiB (max_response_mb)" % host_of(hostile_server.url)])
    # The largest process of every ansible-playbook run so far: the worker, the module process or the controller.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print("gzip bomb: %.1f MB on the wire, %.1f GiB decompressed; peak RSS %.0f MiB" % (len(bomb) / 1e6, expanded / 2 ** 30, peak / 2 ** 20))
    assert len(bomb) < 4 * 1024 * 1024 and expanded > 2 * 1024 ** 3
    # what the limit lets in, plus the interpreter and one chunk: far from the gigabytes the answer expands to
    assert peak < 1024 * 1024 * 1024
