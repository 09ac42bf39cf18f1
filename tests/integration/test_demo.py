# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""make demo's script, run as make runs it, so the demo cannot rot; and what make demo installs."""

from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _pins(path):
    pins = {}
    with open(os.path.join(ROOT, path), encoding="utf-8") as requirements:
        for line in requirements:
            line = line.split("#")[0].strip()
            if line:
                name, version = line.split("==")
                pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_demo_tells_the_story_and_ends_on_the_state_after_remediation():
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    for name in list(env):
        if name.startswith(("UPSTASH_", "ANSIBLE_")):
            del env[name]
    result = subprocess.run([os.path.join(ROOT, "demo", "run.sh")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=300, check=False)
    output = result.stdout
    assert result.returncode == 0, output[-4000:]
    # List, report, check, remediate, the state after, in this order.
    story = [
        '"pg-source: failed"',
        '"| pg-source | failed | FAILED | io.confluent.connect.jdbc.JdbcSourceConnector |"',
        '"| es-sink | running | RUNNING, FAILED | io.aiven.connect.elasticsearch.ElasticsearchSinkConnector |"',
        "NON-COMPLIANT: Failed connectors: pg-source",
        "changed: [localhost] => (item=pg-source)",
        "COMPLIANT: no connector is failed (mongo-sink: running, pg-source: running, s3-archive: paused, es-sink: running)",
        "== After remediation: the report rendered again through the lookup",
    ]
    positions = [output.find(step) for step in story]
    assert -1 not in positions, [step for step, position in zip(story, positions) if position == -1]
    assert positions == sorted(positions)
    # The last thing printed is the report as it stands after remediation.
    after = output.split("== After remediation: the report rendered again through the lookup\n", 1)[1]
    assert after.splitlines() == [
        "# Kafka connectors of cluster 7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01",
        "",
        "| name | state | tasks | class |",
        "| --- | --- | --- | --- |",
        "| mongo-sink | running | RUNNING | com.mongodb.kafka.connect.MongoSinkConnector |",
        "| pg-source | running | RUNNING | io.confluent.connect.jdbc.JdbcSourceConnector |",
        "| s3-archive | paused | PAUSED | io.confluent.connect.s3.S3SinkConnector |",
        "| es-sink | running | RUNNING, FAILED | io.aiven.connect.elasticsearch.ElasticsearchSinkConnector |",
    ]
    for noise in ("[WARNING]", "[DEPRECATION WARNING]", "[ERROR]", "fatal:", "Traceback", "deprecat", "Warning"):
        assert noise.lower() not in output.lower(), noise
    assert "emulator-demo-key" not in output


def test_make_demo_installs_only_ansible_core_and_requests_at_make_tests_versions():
    demo, full = _pins("demo/requirements.txt"), _pins("test-requirements.txt")
    assert {"ansible-core", "requests"} <= set(demo)
    assert dict((name, full.get(name)) for name in demo) == demo
    assert len(demo) < 20
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as makefile:
        text = makefile.read()
    prerequisites = re.search(r"^demo:(.*)$", text, re.M).group(1).split()
    assert "venv" not in prerequisites and "$(STAMP)" not in prerequisites
    assert "-r demo/requirements.txt" in text
