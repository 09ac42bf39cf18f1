# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ChildEmulator: the emulator started from Python, as the integration tests and the benchmark use it."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SPEC = importlib.util.spec_from_file_location("upstash_emulator", os.path.join(ROOT, "emulator", "upstash_emulator.py"))
upstash_emulator = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(upstash_emulator)


def get(url, credentials):
    request = urllib.request.Request(url, headers={"Authorization": "Basic " + base64.b64encode(credentials).decode()})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def test_starts_counts_injects_faults_and_stops():
    emulator = upstash_emulator.ChildEmulator("--email", "child@example.com", "--api-key", "child-key")
    try:
        assert emulator.url.startswith("http://127.0.0.1:")
        assert emulator.stats()["requests"] == 0
        clusters = get(emulator.url + "/v2/kafka/clusters", b"child@example.com:child-key")
        assert "prod-events" in [cluster["name"] for cluster in clusters]
        emulator.fault("status", status=503)
        with pytest.raises(urllib.error.HTTPError) as failed:
            get(emulator.url + "/v2/kafka/clusters", b"child@example.com:child-key")
        assert failed.value.code == 503
        assert emulator.stats()["requests"] == 2
        emulator.reset()
        assert emulator.stats()["requests"] == 0
    finally:
        emulator.stop()
    assert emulator.process.returncode == 0


def test_a_start_that_fails_says_so():
    with pytest.raises(RuntimeError, match="did not start"):
        upstash_emulator.ChildEmulator("--tls-cert", "missing.pem")
