# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Credentials echoed by a hostile server, in every form and every place of an answer, through every path
a call takes (the module in the worker process, the module as a module process, the lookup), at -vvvv with
Ansible's log file on: neither the output nor the log holds any form of the key."""

from __future__ import annotations

import base64
import html
import importlib.util
import json
import logging
import os
from urllib.parse import quote, quote_plus

import pytest
import requests


def _load_hostile_echo():
    # Test files are imported without their directory on sys.path (pytest.ini: --import-mode=importlib).
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile_echo.py")
    spec = importlib.util.spec_from_file_location("hostile_echo", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hostile_echo = _load_hostile_echo()
CHANNELS, SUCCEEDING_CHANNELS, echo_forms = hostile_echo.CHANNELS, hostile_echo.SUCCEEDING_CHANNELS, hostile_echo.echo_forms

EMAIL = "it@example.com"
# Every character that some encoding changes: its base64 holds "/" and padding.
API_KEY = 'k3y+/=&"%\\-9Qx7Lm?~>2w'
MASK = "********"
FRAGMENT = 8
PATHS = ("worker", "process", "lookup")


# How the server and the libraries between it and the output may write a run of a secret.
ENCODINGS = (
    lambda text: text,
    lambda text: quote(text, safe=""),
    quote_plus,
    hostile_echo.per_char_percent,
    hostile_echo.per_char_unicode,
    html.escape,
    lambda text: json.dumps(text)[1:-1],
    lambda text: json.dumps(text)[1:-1].replace("/", "\\/"),
)


def secrets():
    """The key and what derives from it: the base64 of email:key, and the base64 of the key at each alignment."""
    found = [API_KEY, base64.b64encode(("%s:%s" % (EMAIL, API_KEY)).encode()).decode()]
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + API_KEY.encode()).decode()
        found.append(encoded[-(-offset * 8 // 6):(offset + len(API_KEY)) * 8 // 6])
    return found


def survivors(text):
    """Runs of FRAGMENT characters of any secret, in any encoding, found in text (whitespace ignored too)."""
    joined = "".join(text.split())
    found = set()
    for secret in secrets():
        for start in range(len(secret) - FRAGMENT + 1):
            run = secret[start:start + FRAGMENT]
            for encode in ENCODINGS:
                encoded = encode(run)
                if encoded in text or "".join(encoded.split()) in joined:
                    found.add(encoded)
    return sorted(found)


@pytest.fixture
def hostile_server():
    server = hostile_echo.HostileEchoServer()
    yield server
    server.stop()


def test_every_form_is_found_and_urllib3_would_log_one(hostile_server):
    """The search sees every form the server writes, and what urllib3 logs of an answer holds the key."""
    assert all(survivors(form) for form in echo_forms(EMAIL, API_KEY).values())
    records = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: records.append(record.getMessage())
    logging.getLogger("urllib3").addHandler(handler)
    try:
        answer = requests.get(hostile_server.url + "/v2/kafka/connectors/header__raw", auth=(EMAIL, API_KEY), timeout=10)
    finally:
        logging.getLogger("urllib3").removeHandler(handler)
    assert answer.status_code == 200
    assert any("unparsed data" in record and survivors(record) for record in records), records


def cases_for(path):
    """Every channel with every form, one form at a time in the worker; a module process and the lookup share
    its client, and take every form at once (the sentences they pass on are the client's)."""
    forms = sorted(echo_forms(EMAIL, API_KEY)) if path == "worker" else ["all"]
    return ["%s__%s" % (channel, form) for channel in CHANNELS for form in forms]


@pytest.mark.parametrize("path", PATHS)
def test_no_form_of_the_key_reaches_the_output_or_the_log(ansible, hostile_server, tmp_path, path):
    cases = cases_for(path)
    results, log = tmp_path / "results.json", tmp_path / "ansible.log"
    variables = tmp_path / "cases.json"
    variables.write_text(json.dumps(dict(hostile_cases=cases, hostile_results=str(results))))
    environment = dict(UPSTASH_EMAIL=EMAIL, UPSTASH_API_KEY=API_KEY, UPSTASH_API_URL=hostile_server.url, ANSIBLE_LOG_PATH=str(log))

    output = ansible("hostile_echo.yml", "-vvvv", "--tags", path, "-e", "@%s" % variables, env=environment)

    logged = log.read_text()
    assert "hostile_echo.yml" in logged and len(logged) > 5000
    assert survivors(output) == []
    assert survivors(logged) == []
    assert survivors(results.read_text()) == []
    # Every case reached the server and ended as its channel makes it end.
    assert len(hostile_server.requests) >= len(cases)
    answers = json.loads(results.read_text())
    assert [answer["item"] for answer in answers] == cases
    for case, answer in zip(cases, answers):
        channel, form = case.split("__")
        if channel in SUCCEEDING_CHANNELS:
            assert not answer.get("failed"), (case, answer)
            if channel == "data":
                connector = answer["connectors"][0]
                assert MASK in connector["state_error_message"] and MASK in connector["tasks"][0]["trace"], (case, connector)
                assert MASK in connector["properties"]["note"] and MASK in connector["properties"]["nested"]["list"][0]
            else:
                assert answer["connectors"] == []
        else:
            # the server's words are left out whole, not masked piece by piece
            assert answer.get("failed") and "is withheld: it repeats a credential" in answer["msg"], (case, answer)
