# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""make demo's script, run as make runs it, so the demo cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_demo_lists_renders_reports_then_remediates_the_failed_connector():
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    for name in list(env):
        if name.startswith(("UPSTASH_", "ANSIBLE_")):
            del env[name]
    result = subprocess.run([os.path.join(ROOT, "demo", "run.sh")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "NON-COMPLIANT: Failed connectors: pg-source" in result.stdout
    assert "| pg-source | failed | FAILED |" in result.stdout
    assert "| es-sink | running | RUNNING, FAILED |" in result.stdout
    assert "changed: [localhost] => (item=pg-source)" in result.stdout
    assert "COMPLIANT: no connector is failed (mongo-sink: running, pg-source: running, s3-archive: paused, es-sink: running)" in result.stdout
    for noise in ("[WARNING]", "[DEPRECATION WARNING]", "[ERROR]", "fatal:"):
        assert noise not in result.stdout, noise
    assert "emulator-demo-key" not in result.stdout
