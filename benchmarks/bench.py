# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Side-by-side benchmark of upstash.cloud against what a user would write without it.

The module is compared with ansible.builtin.uri, the lookup with the ansible.builtin.url lookup,
both with HTTP basic auth, through whole ansible-playbook runs against the bundled emulator.
The collection is built and installed from its tarball first, as a user would get it.

Every round runs every playbook once, in a shuffled order, so the noise of a shared machine hits
both sides of a comparison alike; a figure is the median over rounds of the per-round ratio. The
wall time of a playbook without tasks (the baseline) is subtracted from every run, so a ratio
compares what the tasks cost rather than ansible-playbook's own start-up.

    python benchmarks/bench.py            # full run: writes benchmarks/results.json and docs/performance.png
    python benchmarks/bench.py --quick    # one round, small big cluster, nothing written; fails only on errors

See docs/performance.md for the method and the figures.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import glob
import importlib.util
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PLAYBOOKS = os.path.join(HERE, "playbooks")
BIN = os.path.dirname(sys.executable)
RESULTS = os.path.join(HERE, "results.json")
CHART = os.path.join(ROOT, "docs", "performance.png")

EMAIL = "bench@example.com"
# Distinctive so a leak into any output is unmistakable.
API_KEY = "upk-bench-4b2e9d7c1a"
MODULE = "ansible_collections.upstash.cloud.plugins.modules.upstash_kafka_connector_info"

PROD = "7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01"
# The emulator's three sample clusters, then five of its --extra-clusters: eight small listings.
SMALL_CLUSTERS = [PROD, "staging_cluster-02", "e0e0e0e0-0000-4000-8000-000000000003"] + [
    "extra-cluster-%02d" % number for number in range(1, 6)
]
SMALL_COUNTS = [4, 2, 0, 3, 3, 3, 3, 3]
BIG_CLUSTER = "big-cluster"
EXTRA_CLUSTERS = 17
# The account emulator runs without a big cluster: its 3 sample clusters + 17 extra ones = 20.
ACCOUNT_CLUSTERS = 3 + EXTRA_CLUSTERS
ACCOUNT_SIZE = 4 + 2 + 0 + 3 * EXTRA_CLUSTERS
TEMPLATE_LOOKUPS = 20

# name: (playbook, emulator, template, what it is)
RUNS = {
    "baseline": ("baseline.yml", "main", None, "a play without tasks"),
    "tasks_module": ("tasks_module.yml", "main", None, "8 upstash_kafka_connector_info tasks and an assert"),
    "tasks_uri": ("tasks_uri.yml", "main", None, "8 ansible.builtin.uri tasks and an assert"),
    "tasks_debug": ("tasks_debug.yml", "main", None, "8 ansible.builtin.debug tasks and an assert"),
    "template_ours": ("template.yml", "main", "ours", "a template with 20 upstash.cloud.upstash_kafka_connectors lookups"),
    "template_ours_nocache": ("template.yml", "main", "ours_nocache", "the same with cache_ttl=0"),
    "template_url": ("template.yml", "main", "url", "a template with 20 ansible.builtin.url lookups"),
    "big_module": ("big_module.yml", "main", None, "the big cluster listed and asserted through the module"),
    "big_module_fields": ("big_module_fields.yml", "main", None, "the same with fields: [name, state]"),
    "big_uri": ("big_uri.yml", "main", None, "the big cluster listed and asserted through ansible.builtin.uri"),
    "failed_check": ("failed_check.yml", "main", None, "the big cluster's failed connectors (states) and summary asserted"),
    "account_all": ("account_all.yml", "account", None, "the module without cluster_id: all 20 clusters"),
    "account_one": ("account_one.yml", "account", None, "the module with cluster_id: one cluster"),
}

# key: (ours, theirs, target for the wall ratio, label)
COMPARISONS = {
    "tasks": ("tasks_module", "tasks_uri", 0.90, "8 info tasks vs 8 uri tasks"),
    "task_vs_debug": ("tasks_module", "tasks_debug", 1.5, "an info task vs a debug task"),
    "template": ("template_ours", "template_url", None, "template, 20 lookups: ours vs url"),
    "template_nocache": ("template_ours_nocache", "template_url", None, "the same, ours with cache_ttl=0"),
    "big": ("big_module", "big_uri", 1.0, "{big} connectors: module vs uri"),
    "big_fields": ("big_module_fields", "big_uri", 0.25, "{big} connectors, fields [name, state] vs uri"),
    "fields_vs_full": ("big_module_fields", "big_module", None, "{big} connectors, fields vs all fields"),
    "failed_check": ("failed_check", "big_uri", 0.15, "{big} connectors, failed check: states vs uri"),
    "account": ("account_all", "account_one", None, "all 20 clusters vs one cluster (module)"),
}
# Comparisons whose target applies to the whole playbook run, start-up included.
WHOLE_RUN_TARGETS = frozenset(("failed_check",))
# Comparisons of one task: the median time from a task's start to the next one's, over the eight tasks
# of each run (benchmarks/callback_plugins/task_clock.py). Loading the collection once per playbook
# (importing requests is most of it) is then not shared out over the tasks; it is reported on its own.
PER_TASK_COMPARISONS = frozenset(("task_vs_debug",))
TASKS_PER_RUN = 8
TARGET_REQUESTS = 1
# ru_maxrss is in KiB on Linux, in bytes on macOS.
RSS_UNITS_PER_MIB = 1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0
# Runs whose peak memory is reported: the big cluster, whole playbook runs.
PEAK_RSS_RUNS = ("big_module", "big_module_fields", "big_uri", "failed_check")


class BenchError(Exception):
    """Something did not run as it must; the benchmark fails."""


def log(message):
    print(message, flush=True)


# ---------------------------------------------------------------------------------------------------
# Collection and emulator
# ---------------------------------------------------------------------------------------------------

def install_collection(source, work):
    """Build the collection tarball from source and install it into work/collections, as a user would."""
    galaxy = os.path.join(BIN, "ansible-galaxy")
    build = subprocess.run([galaxy, "collection", "build", source, "--output-path", work, "--force"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if build.returncode:
        raise BenchError("ansible-galaxy collection build failed:\n" + build.stdout[-3000:])
    tarballs = glob.glob(os.path.join(work, "upstash-cloud-*.tar.gz"))
    if len(tarballs) != 1:
        raise BenchError("expected one collection tarball, found %r" % tarballs)
    collections = os.path.join(work, "collections")
    install = subprocess.run([galaxy, "collection", "install", tarballs[0], "-p", collections, "--force"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if install.returncode:
        raise BenchError("ansible-galaxy collection install failed:\n" + install.stdout[-3000:])
    return collections


def start_emulator(collections, *options):
    """The emulator shipped in the installed collection, as a real HTTP server on a free port of 127.0.0.1."""
    script = os.path.join(collections, "ansible_collections", "upstash", "cloud", "emulator", "upstash_emulator.py")
    spec = importlib.util.spec_from_file_location("upstash_emulator", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        return module.ChildEmulator("--email", EMAIL, "--api-key", API_KEY, *options)
    except RuntimeError as exc:
        raise BenchError(str(exc))


def run_measured(command, output_path, timeout, **popen_options):
    """Run command with its output in output_path; (output text, exit status, resource usage).

    os.wait4 returns the usage of this child and of every descendant it waited for: CPU time summed,
    ru_maxrss the peak resident memory of the largest of them, never of this script or the emulator.
    A child still running after timeout seconds is killed, so a hung run fails instead of hanging."""
    with open(output_path, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, **popen_options)  # pylint: disable=consider-using-with
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            dummy, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
    with open(output_path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    os.remove(output_path)
    return text, os.waitstatus_to_exitcode(status), usage


# ---------------------------------------------------------------------------------------------------
# Playbook runs
# ---------------------------------------------------------------------------------------------------

class Runner:
    """Runs the benchmark playbooks with a clean Ansible environment and measures them."""

    def __init__(self, collections, work, emulators, big_size):
        self.work = work
        self.output = os.path.join(work, "output")
        os.makedirs(self.output)
        self.emulators = emulators
        self.big_size = big_size
        config = os.path.join(work, "ansible.cfg")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write("[defaults]\n")
        environment = dict((name, value) for name, value in os.environ.items() if not name.startswith(("ANSIBLE_", "UPSTASH_")))
        environment.update(
            # An empty configuration: a user's ~/.ansible.cfg must not change what is measured.
            ANSIBLE_CONFIG=config,
            ANSIBLE_COLLECTIONS_PATH=collections,
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
            ANSIBLE_LOCAL_TEMP=os.path.join(work, "ansible-local"),
            ANSIBLE_REMOTE_TMP=os.path.join(work, "ansible-remote"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"),
            ANSIBLE_CALLBACKS_ENABLED="task_clock",
            PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
        )
        self.environment = environment

    def variables(self, name):
        emulator = self.emulators[RUNS[name][1]]
        return dict(
            upstash_email=EMAIL, upstash_api_key=API_KEY, upstash_api_url=emulator.url,
            small_clusters=SMALL_CLUSTERS, small_counts=SMALL_COUNTS,
            big_cluster=BIG_CLUSTER, big_size=self.big_size, big_failed=self.big_size // 100,
            account_size=ACCOUNT_SIZE, template_cluster=PROD, lookup_kind=RUNS[name][2] or "none",
            output_dir=self.output,
        )

    def run(self, name):
        """Run one playbook; its wall and CPU time in seconds, the number of API requests it made, the
        peak RSS in MiB of the largest of its processes, and the median seconds per task of its first
        eight tasks (None for a shorter playbook)."""
        playbook, emulator_name, template, dummy = RUNS[name]
        emulator = self.emulators[emulator_name]
        command = [os.path.join(BIN, "ansible-playbook"), os.path.join(PLAYBOOKS, playbook), "-e", json.dumps(self.variables(name))]
        emulator.reset()
        clock = os.path.join(self.work, "task-clock.json")
        started = time.perf_counter()
        # ansible-playbook waits for its workers and they for their module processes, so the usage
        # covers all of them.
        stdout, returncode, usage = run_measured(command, os.path.join(self.work, "playbook-output.txt"), 900,
                                                 env=dict(self.environment, BENCH_TASK_CLOCK=clock), cwd=self.work)
        elapsed = time.perf_counter() - started
        requests = emulator.stats()["requests"]
        if returncode != 0 or "Traceback" in stdout:
            raise BenchError("%s (%s) failed with exit status %d:\n%s" % (name, playbook, returncode, stdout[-4000:]))
        if API_KEY in stdout:
            raise BenchError("%s printed the API key" % name)
        if template:
            self.check_report(name, template)
        with open(clock, encoding="utf-8") as handle:
            gaps = json.loads(handle.read())
        os.remove(clock)
        per_task = statistics.median(gaps[:TASKS_PER_RUN]) / 1000 if len(gaps) > TASKS_PER_RUN else None
        return elapsed, usage.ru_utime + usage.ru_stime, requests, usage.ru_maxrss / RSS_UNITS_PER_MIB, per_task

    def check_report(self, name, template):
        path = os.path.join(self.output, "report_%s.txt" % template)
        with open(path, encoding="utf-8") as handle:
            lines = [line for line in handle.read().splitlines() if line.strip()]
        os.remove(path)
        expected = ["%d: 4 connectors, 1 failed" % number for number in range(TEMPLATE_LOOKUPS)]
        if lines != expected:
            raise BenchError("%s rendered %r, expected %r" % (name, lines[:3], expected[:3]))


# ---------------------------------------------------------------------------------------------------
# The module process on its own: peak memory and CPU time
# ---------------------------------------------------------------------------------------------------

def run_module(work, environment, command, module_args, expected):
    """Run a module file directly with its arguments in a JSON file, as AnsiballZ would; the module
    process's own peak RSS (MiB) and CPU time (s)."""
    args_path = os.path.join(work, "module-args.json")
    with open(args_path, "w", encoding="utf-8") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": module_args}, handle)
    text, returncode, usage = run_measured(command + [args_path], os.path.join(work, "module-out.json"), 300, env=environment)
    try:
        answer = json.loads(text)
    except ValueError:
        raise BenchError("%s printed no JSON:\n%s" % (command[-1], text[-2000:]))
    items = answer.get("connectors", answer.get("json"))
    if returncode != 0 or answer.get("failed") or not isinstance(items, list) or len(items) != expected:
        raise BenchError("%s failed (exit status %d): %s" % (command[-1], returncode, text[-2000:]))
    return usage.ru_maxrss / RSS_UNITS_PER_MIB, usage.ru_utime + usage.ru_stime


def measure_modules(work, collections, emulator, big_size, repeats):
    """Peak RSS (MiB) and CPU time (s) of the module process listing the big cluster, each the median of repeats."""
    environment = dict(os.environ, PYTHONPATH=collections)
    ours = [sys.executable, "-m", MODULE]
    uri = [sys.executable, "-m", "ansible.modules.uri"]
    credentials = dict(email=EMAIL, api_key=API_KEY, api_url=emulator.url)
    cases = {
        "module": (ours, dict(credentials, cluster_id=BIG_CLUSTER)),
        "module_fields": (ours, dict(credentials, cluster_id=BIG_CLUSTER, fields=["name", "state"])),
        "uri": (uri, dict(url="%s/v2/kafka/connectors/%s" % (emulator.url, BIG_CLUSTER), url_username=EMAIL,
                          url_password=API_KEY, force_basic_auth=True)),
    }
    samples = dict((name, []) for name in cases)
    for dummy in range(repeats):
        for name, (command, module_args) in cases.items():
            samples[name].append(run_module(work, environment, command, module_args, big_size))
    return dict(
        peak_rss_mib=dict((name, round(statistics.median(value[0] for value in values), 1)) for name, values in samples.items()),
        cpu_s=dict((name, round(statistics.median(value[1] for value in values), 3)) for name, values in samples.items()),
    )


# ---------------------------------------------------------------------------------------------------
# Credential masking of a hostile string
# ---------------------------------------------------------------------------------------------------

def masking_near_misses(email, api_key):
    """Pieces of 7 characters of every form of the key (one short of what is masked), plain, percent- and
    JSON-escaped and spread over lines: each makes the masking decode, sample and look runs up, and fail."""
    pair = base64.b64encode(("%s:%s" % (email, api_key)).encode()).decode()
    alone = base64.b64encode(api_key.encode()).decode()
    pieces = []
    for form in (api_key, pair, alone):
        for start in range(len(form) - 6):
            piece = form[start:start + 7]
            pieces.extend([piece + "!", "".join("%%%02X" % ord(char) for char in piece) + "!",
                           "".join("\\u%04x" % ord(char) for char in piece) + "!", " \n ".join(piece) + "!"])
    return "".join(pieces)


def measure_masking(collections, megabytes):
    """Seconds the installed collection's credential search takes over one string of about megabytes MB
    of near misses, with the key itself at its end, percent-encoded and in wrapped base64."""
    sys.path.insert(0, collections)
    try:
        from ansible_collections.upstash.cloud.plugins.module_utils._secrets import CredentialForms  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.remove(collections)
    unit = masking_near_misses(EMAIL, API_KEY)
    # Long enough to be wrapped over two lines, as MIME does at 76 characters.
    pair = base64.encodebytes(("%s:%s" % (EMAIL, API_KEY * 3)).encode()).decode()
    tail = "\nkey=%s\n%s" % ("".join("%%%02X" % ord(char) for char in API_KEY), pair)
    text = unit * (megabytes * 1000 * 1000 // len(unit)) + tail
    forms = CredentialForms(EMAIL, API_KEY)
    started, cpu_started = time.perf_counter(), time.process_time()
    found = forms.finds(text)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    if not found or forms.finds(text[:-len(tail)]):
        raise BenchError("the credential search of the adversarial string did not find exactly the key at its end")
    return dict(megabytes=round(len(text) / 1e6, 1), seconds=round(seconds, 3), cpu_seconds=round(cpu_seconds, 3))


# ---------------------------------------------------------------------------------------------------
# Redaction of a hostile string
# ---------------------------------------------------------------------------------------------------

# Near misses of each redaction pattern: repeated, each makes its pattern start a match attempt at
# almost every place and fail, which is where a backtracking pattern turns quadratic.
REDACTION_NEAR_MISSES = (
    "a://u:", "a://u:p@@", "password=", 'password="', '"private_key": ', "Authorization: ", "Bearer ", "Basic x ",
    "-----BEGIN PRIVATE KEY-----x", "-----BEGIN PRIVATE KEYPRIVATE KEY", "token.token.token.token", "db.pwd: ",
    "jdbc:oracle:thin:u/", "%26password%3D", "secret:a:",
)


def measure_redaction(collections, megabytes):
    """Seconds the installed collection's redaction takes over one string of about megabytes MB made of
    every near miss in turn, in a connector's state_error_message."""
    sys.path.insert(0, collections)
    try:
        from ansible_collections.upstash.cloud.plugins.module_utils._secrets import MASK, redact  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.remove(collections)
    share = megabytes * 1000 * 1000 // len(REDACTION_NEAR_MISSES)
    # The END line closes the last unfinished PEM block, which would otherwise run to the end of the text.
    text = "\n".join(unit * (share // len(unit)) for unit in REDACTION_NEAR_MISSES) + (
        "\n-----END PRIVATE KEY-----\nhttps://u:Tail-Secret@h/x")
    started, cpu_started = time.perf_counter(), time.process_time()
    redacted = redact({"state_error_message": text})["state_error_message"]
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    if "Tail-Secret" in redacted or not redacted.endswith("https://u:%s@h/x" % MASK):
        raise BenchError("redaction of the adversarial string missed the secret at its end")
    return dict(megabytes=round(len(text) / 1e6, 1), seconds=round(seconds, 3), cpu_seconds=round(cpu_seconds, 3))


# ---------------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------------

def compute(wall, cpu, requests, peaks, per_task, modules, rounds):
    """The figures: for each comparison the median over rounds of the ratio of baseline-subtracted times
    (of times per task for PER_TASK_COMPARISONS). Only the comparisons, requests and peaks of the runs
    that were made are computed."""
    base_wall = statistics.median(wall["baseline"])
    base_cpu = statistics.median(cpu["baseline"])

    def per_round(samples, base, ours, theirs):
        return statistics.median((samples[ours][index] - base) / (samples[theirs][index] - base) for index in range(rounds))

    figures = dict(baseline_wall_s=round(base_wall, 3), baseline_cpu_s=round(base_cpu, 3), comparisons={})
    for key, (ours, theirs, target, dummy) in COMPARISONS.items():
        if not (wall[ours] and wall[theirs]):
            continue
        if key in PER_TASK_COMPARISONS:
            ratio = per_round(per_task, 0.0, ours, theirs)
            ours_s, theirs_s = statistics.median(per_task[ours]), statistics.median(per_task[theirs])
            # What the first task costs besides a task: loading the collection, once per playbook.
            figures["collection_load_s"] = round(statistics.median(
                (wall[ours][index] - TASKS_PER_RUN * per_task[ours][index]) - (wall[theirs][index] - TASKS_PER_RUN * per_task[theirs][index])
                for index in range(rounds)), 3)
        else:
            ratio = per_round(wall, base_wall, ours, theirs)
            ours_s, theirs_s = statistics.median(wall[ours]) - base_wall, statistics.median(wall[theirs]) - base_wall
        figure = dict(
            ours_s=round(ours_s, 3),
            theirs_s=round(theirs_s, 3),
            ratio=round(ratio, 3),
            ratio_whole_run=round(statistics.median(wall[ours][index] / wall[theirs][index] for index in range(rounds)), 3),
            cpu_ratio=round(per_round(cpu, base_cpu, ours, theirs), 3),
            target=target,
        )
        if target is not None:
            figure["met"] = (figure["ratio_whole_run"] if key in WHOLE_RUN_TARGETS else ratio) <= target
        figures["comparisons"][key] = figure
    if "tasks" in figures["comparisons"]:
        figures["per_task_ms"] = dict(
            module=round(1000 * figures["comparisons"]["tasks"]["ours_s"] / 8, 1),
            uri=round(1000 * figures["comparisons"]["tasks"]["theirs_s"] / 8, 1),
        )
    # --only may have run one of the two lookup templates of ours.
    if requests["template_ours"] and requests["template_ours_nocache"]:
        figures["template_requests"] = dict(
            ours=max(requests["template_ours"]), ours_nocache=max(requests["template_ours_nocache"]),
            url=max(requests["template_url"]), lookups=TEMPLATE_LOOKUPS, target=TARGET_REQUESTS,
            met=max(requests["template_ours"]) <= TARGET_REQUESTS,
        )
    figures["run_peak_rss_mib"] = dict((name, round(statistics.median(peaks[name]), 1)) for name in PEAK_RSS_RUNS if peaks[name])
    if modules is not None:
        figures["module_process"] = modules
    return figures


def missed_targets(figures):
    missed = [key for key, figure in figures.get("comparisons", {}).items() if figure.get("met") is False]
    if not figures.get("template_requests", {}).get("met", True):
        missed.append("template_requests")
    return missed


def report(figures, big_size):
    big = "{:,}".format(big_size)
    log("")
    if "comparisons" in figures:
        report_runs(figures, big)
    if "redaction" in figures:
        redaction = figures["redaction"]
        log("Redaction of one adversarial string of %.0f MB (every pattern's near misses, repeated): %.2f s wall, %.2f s CPU"
            " (%.1f MB per CPU second)." % (redaction["megabytes"], redaction["seconds"], redaction["cpu_seconds"],
                                            redaction["megabytes"] / max(redaction["cpu_seconds"], 0.001)))


def report_runs(figures, big):
    log("Baseline (a play without tasks): %.3f s wall, %.3f s CPU; subtracted from every run below." % (
        figures["baseline_wall_s"], figures["baseline_cpu_s"]))
    log("%-48s %9s %9s %7s %7s %7s %8s" % ("comparison (median, net of the baseline)", "ours", "theirs", "ratio", "whole", "CPU", "target"))
    for key, (dummy, dummy, target, label) in COMPARISONS.items():
        figure = figures["comparisons"].get(key)
        if figure is None:
            continue
        if key in PER_TASK_COMPARISONS:
            label += ", per task"
        verdict = "" if target is None else "%s<= %.2f %s" % (
            "whole " if key in WHOLE_RUN_TARGETS else "", target, "met" if figure["met"] else "MISSED")
        log("%-48s %8.3fs %8.3fs %7.3f %7.3f %7.3f  %s" % (
            label.format(big=big), figure["ours_s"], figure["theirs_s"], figure["ratio"], figure["ratio_whole_run"],
            figure["cpu_ratio"], verdict))
    requests = figures.get("template_requests")
    if requests:
        log("HTTP requests per render of the 20-lookup template: ours %d, ours with cache_ttl=0 %d, url lookup %d"
            " (target: ours <= %d, %s)" % (
                requests["ours"], requests["ours_nocache"], requests["url"], requests["target"], "met" if requests["met"] else "MISSED"))
    if "collection_load_s" in figures:
        log("Loading the collection, once per playbook (the first task's cost beyond a task, against debug's): %.0f ms."
            % (1000 * figures["collection_load_s"]))
    if "per_task_ms" in figures:
        log("Per listing task (the final assert shared out): module %.1f ms, uri %.1f ms." % (
            figures["per_task_ms"]["module"], figures["per_task_ms"]["uri"]))
    peaks = figures["run_peak_rss_mib"]
    labels = dict(big_module="module", big_module_fields="with fields", big_uri="uri", failed_check="failed check with states")
    if peaks:
        log("Peak RSS of the largest process of the run, %s connectors: %s." % (
            big, ", ".join("%s %.1f MiB" % (labels[name], peaks[name]) for name in PEAK_RSS_RUNS if name in peaks)))
    if "module_process" in figures:
        memory, used = figures["module_process"]["peak_rss_mib"], figures["module_process"]["cpu_s"]
        log("The module process alone (as on a remote host), %s connectors: peak RSS module %.1f MiB, with fields %.1f MiB,"
            " uri %.1f MiB; CPU %.2f s, %.2f s, %.2f s." % (
                big, memory["module"], memory["module_fields"], memory["uri"], used["module"], used["module_fields"], used["uri"]))
    if "masking" in figures:
        masking = figures["masking"]
        log("Credential masking of a %.1f MB hostile string: %.2f s (%.2f s CPU)." % (
            masking["megabytes"], masking["seconds"], masking["cpu_seconds"]))


# ---------------------------------------------------------------------------------------------------
# Chart
# ---------------------------------------------------------------------------------------------------

def draw_chart(figures, info, path):
    """A small PNG for docs/performance.md; matplotlib is only needed here."""
    import matplotlib  # pylint: disable=import-outside-toplevel

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    comparisons = figures["comparisons"]
    big = "{:,}".format(info["big_cluster_size"])
    rows = [
        ("tasks", "8 tasks: module / uri"),
        ("template", "template: lookup / url"),
        ("big", big + ": module / uri"),
        ("big_fields", big + ", fields / uri"),
        ("account", "20 clusters / 1 (module)"),
    ]
    figure, (times, requests, memory) = plt.subplots(1, 3, figsize=(11, 3.5), gridspec_kw=dict(width_ratios=[3.4, 1.1, 1.5]))
    positions = list(range(len(rows)))[::-1]
    height = 0.38
    for offset, field, colour, legend in ((height / 2, "ratio", "#2b7bba", "wall"), (-height / 2, "cpu_ratio", "#9ecae1", "CPU")):
        values = [comparisons[key][field] for key, dummy in rows]
        times.barh([position + offset for position in positions], values, height=height, color=colour, label=legend)
        for position, value in zip(positions, values):
            times.text(value * 1.05, position + offset, "%.2f" % value, va="center", fontsize=7)
    for position, (key, dummy) in zip(positions, rows):
        target = comparisons[key]["target"]
        if target is not None:
            times.plot([target, target], [position - 0.45, position + 0.45], color="#d62728", linewidth=2)
    times.plot([ACCOUNT_CLUSTERS] * 2, [positions[-1] - 0.45, positions[-1] + 0.45], color="#7f7f7f", linestyle=":", linewidth=2)
    times.set_xscale("log")
    times.set_xlim(0.03, 40)
    times.axvline(1.0, color="black", linewidth=0.8)
    times.set_yticks(positions)
    times.set_yticklabels([label for dummy, label in rows], fontsize=8)
    times.legend(fontsize=7, loc="upper right")
    times.set_title("Ratio of task time, net of ansible-playbook start-up\n(red: target; dotted: 20\u00d7)", fontsize=9)
    times.tick_params(axis="x", labelsize=8)

    counts = figures["template_requests"]
    values = [counts["ours"], counts["ours_nocache"], counts["url"]]
    requests.bar([0, 1, 2], values, color=["#2b7bba", "#9ecae1", "#ff7f0e"])
    requests.set_xticks([0, 1, 2])
    requests.set_xticklabels(["lookup", "ttl=0", "url"], fontsize=8)
    for index, count in enumerate(values):
        requests.text(index, count + 0.3, str(count), ha="center", fontsize=8)
    requests.set_ylim(0, max(values) * 1.15 + 1)
    requests.set_title("HTTP requests,\n20 lookups in a template", fontsize=9)
    requests.tick_params(axis="y", labelsize=8)

    process_peaks = figures["module_process"]["peak_rss_mib"]
    run_peaks = figures["run_peak_rss_mib"]
    width = 0.38
    top = 0
    for offset, values, colour, legend in (
            (-width / 2, [run_peaks["big_module"], run_peaks["big_module_fields"], run_peaks["big_uri"]], "#2b7bba", "playbook"),
            (width / 2, [process_peaks["module"], process_peaks["module_fields"], process_peaks["uri"]], "#9ecae1", "module process")):
        memory.bar([index + offset for index in range(3)], values, width=width, color=colour, label=legend)
        for index, peak in enumerate(values):
            memory.text(index + offset, peak * 1.02, "%.0f" % peak, ha="center", fontsize=7)
        top = max([top] + values)
    memory.set_xticks([0, 1, 2])
    memory.set_xticklabels(["module", "+ fields", "uri"], fontsize=8)
    memory.set_ylim(0, top * 1.3)
    memory.legend(fontsize=6, loc="upper left")
    memory.set_title("Peak RSS, largest process,\n%s connectors (MiB)" % big, fontsize=9)
    memory.tick_params(axis="y", labelsize=8)

    figure.text(0.01, 0.01, "%d CPUs, Python %s, ansible-core %s, requests %s, %s; median of %d interleaved rounds" % (
        info["cpu_count"], info["python"], info["ansible_core"], info["requests"], info["generated"][:10], info["rounds"]),
        fontsize=7, color="#555555")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    figure.savefig(path, dpi=90)
    plt.close(figure)


# ---------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------

def environment_info(args):
    from ansible.release import __version__ as ansible_version  # pylint: disable=import-outside-toplevel
    import requests  # pylint: disable=import-outside-toplevel

    try:
        commit = subprocess.run(["git", "-C", args.source, "describe", "--always", "--dirty"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, check=False).stdout.strip()
    except OSError:
        commit = ""
    version = None
    with open(os.path.join(args.source, "galaxy.yml"), encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("version:"):
                version = line.split(":", 1)[1].strip()
    return dict(
        generated=datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        cpu_count=os.cpu_count(),
        machine=platform.machine(),
        system=platform.platform(),
        python=platform.python_version(),
        ansible_core=ansible_version,
        requests=requests.__version__,
        collection=version,
        commit=commit or None,
        rounds=args.rounds,
        big_cluster_size=args.big_size,
        account_clusters=ACCOUNT_CLUSTERS,
        load_average_start=[round(value, 2) for value in os.getloadavg()],
    )


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--quick", action="store_true",
                        help="one round, a big cluster of 2000, no warm-up, nothing written; only errors fail")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 7, --quick 1)")
    parser.add_argument("--big-size", type=int, help="connectors in the big cluster (default 20000, --quick 2000)")
    parser.add_argument("--source", default=ROOT, help="collection checkout to build and measure (default: this one)")
    parser.add_argument("--results", default=RESULTS, help="JSON file for the figures (default: benchmarks/results.json)")
    parser.add_argument("--chart", default=CHART, help="PNG chart (default: docs/performance.png)")
    parser.add_argument("--no-write", action="store_true", help="print the figures only")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--seed", type=int, default=20250311, help="seed of the shuffled run order")
    parser.add_argument("--only", action="append", choices=list(COMPARISONS) + ["masking", "redaction"], metavar="CASE",
                        help="measure only this comparison (%s), or the masking or redaction figure; repeatable; nothing written"
                             % ", ".join(COMPARISONS))
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.quick else 7
    if args.big_size is None:
        args.big_size = 2000 if args.quick else 20000
    if args.rounds < 1 or args.big_size < 100:
        parser.error("--rounds must be at least 1 and --big-size at least 100")
    args.source = os.path.abspath(args.source)
    return args


def runs_to_make(only):
    """Every run, or the baseline and the runs of the comparisons asked for."""
    if not only:
        return list(RUNS)
    wanted = set(run for key in only if key in COMPARISONS for run in COMPARISONS[key][:2])
    return ["baseline"] + [name for name in RUNS if name in wanted] if wanted else []


def benchmark(args, work):
    info = environment_info(args)
    started = time.perf_counter()
    log("Building and installing upstash.cloud from %s ..." % args.source)
    collections = install_collection(args.source, work)
    names = runs_to_make(args.only)
    figures, samples = {}, {}
    if names:
        log("Starting the emulators: %d connectors in the big cluster; an account of %d clusters ..." % (args.big_size, ACCOUNT_CLUSTERS))
        emulators = {}
        try:
            emulators["main"] = start_emulator(collections, "--big-cluster-size", str(args.big_size), "--extra-clusters", str(EXTRA_CLUSTERS))
            emulators["account"] = start_emulator(collections, "--extra-clusters", str(EXTRA_CLUSTERS))
            runner = Runner(collections, work, emulators, args.big_size)
            order = list(names)
            if not args.quick:
                log("Warm-up round, not counted ...")
                for name in order:
                    runner.run(name)
            wall, cpu, requests, peaks, per_task = [dict((name, []) for name in RUNS) for dummy in range(5)]
            shuffle = random.Random(args.seed)
            for number in range(args.rounds):
                shuffle.shuffle(order)
                for name in order:
                    elapsed, used, count, peak, task_s = runner.run(name)
                    per_task[name].append(task_s)
                    wall[name].append(elapsed)
                    cpu[name].append(used)
                    requests[name].append(count)
                    peaks[name].append(peak)
                log("Round %d/%d: %s" % (number + 1, args.rounds, ", ".join("%s %.2fs" % (name, wall[name][-1]) for name in names)))
            modules = None
            if not args.only:
                log("The module process alone ...")
                modules = measure_modules(work, collections, emulators["main"], args.big_size, 1 if args.quick else 3)
        finally:
            for emulator in emulators.values():
                emulator.stop()
        figures = compute(wall, cpu, requests, peaks, per_task, modules, args.rounds)
        samples = dict(wall_s=wall, cpu_s=cpu, requests=dict((name, requests[name]) for name in RUNS if RUNS[name][2]))
    if not args.only or "masking" in args.only:
        log("Credential masking of a hostile string ...")
        figures["masking"] = measure_masking(collections, 1 if args.quick else 10)
    if not args.only or "redaction" in args.only:
        log("Redaction of an adversarial string ...")
        figures["redaction"] = measure_redaction(collections, 1 if args.quick else 10)
    info["load_average_end"] = [round(value, 2) for value in os.getloadavg()]
    info["duration_s"] = round(time.perf_counter() - started, 1)
    return info, figures, samples


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    work = tempfile.mkdtemp(prefix="upstash-bench-")
    try:
        info, figures, samples = benchmark(args, work)
    except (BenchError, OSError, subprocess.SubprocessError) as exc:
        log("benchmark failed: %s" % exc)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(figures, args.big_size)
    log("Machine: %d CPUs, %s, Python %s, ansible-core %s, requests %s; load average %s at the start, %s at the end; %.0f s." % (
        info["cpu_count"], info["system"], info["python"], info["ansible_core"], info["requests"],
        info["load_average_start"], info["load_average_end"], info["duration_s"]))
    if not (args.quick or args.no_write or args.only):
        document = dict(
            info=info,
            runs=dict((name, dict(playbook=playbook, template=template, what=what)) for name, (playbook, dummy, template, what) in RUNS.items()),
            figures=figures,
            samples=dict((kind, dict((name, [round(value, 4) for value in values]) for name, values in runs.items()))
                         for kind, runs in samples.items()),
        )
        with open(args.results, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
        draw_chart(figures, info, args.chart)
        log("Wrote %s and %s." % (args.results, args.chart))
    missed = missed_targets(figures)
    if missed:
        log("Targets missed: %s%s." % (", ".join(missed), "" if args.strict else " (reported, not an error without --strict)"))
        if args.strict:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
