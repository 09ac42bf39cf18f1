# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark helper: the time from each task's start to the next one's (the last to the end of the
play), in milliseconds, appended as one JSON list to the file named by BENCH_TASK_CLOCK."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_clock"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.starts = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.starts.append(time.perf_counter())

    def v2_playbook_on_stats(self, stats):
        self.starts.append(time.perf_counter())
        path = os.environ.get("BENCH_TASK_CLOCK")
        if path:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps([round((end - start) * 1000, 3) for start, end in zip(self.starts, self.starts[1:])]) + "\n")
