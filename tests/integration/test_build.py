# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The release tarball: what `ansible-galaxy collection build` puts in it, and what an execution
environment build (ansible-builder) learns from it."""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)

# The release tarball holds what users need: these directories whole (every file the checkout has in
# them), and these files. Nothing else, so a new top-level file or directory ships only once it is
# listed here (or galaxy.yml's build_ignore keeps it out).
SHIPPED_DIRS = ("plugins", "meta", "emulator", "docs/docsite")
SHIPPED_FILES = frozenset([
    "MANIFEST.json", "FILES.json", "README.md", "CHANGELOG.md", "changelogs/changelog.yaml", "COPYING",
    "LICENSES/GPL-3.0-or-later.txt", "requirements.txt",
])
# The development set-up, named so a failure says plainly what leaked.
DEVELOPMENT = (
    "tests", "tests/*", ".ci", ".ci/*", "Makefile", ".gitignore", ".ansible-lint", "pytest.ini", "test-requirements.txt",
    "benchmarks", "benchmarks/*", "demo", "demo/*", "docs/SPEC.md", "docs/fault-matrix.md", "docs/performance.*",
    "changelogs/config.yaml", "changelogs/fragments", "changelogs/fragments/*", "changelogs/.plugin-cache.yaml",
)
# Planted in a copy of the checkout before building, at the depths where tools really create them.
JUNK = (
    ".venv/bin/python", ".venv-matrix/ansible-core-2.17/bin/python", "tests/unit/.venv/pyvenv.cfg",
    ".git/HEAD", ".ansible/collections/ansible_collections/x/y/MANIFEST.json", ".cache/pip/x",
    ".pytest_cache/v/cache/nodeids", "tests/.pytest_cache/README.md", "docs/docsite/.pytest_cache/README.md",
    ".hypothesis/examples/abc", "tests/unit/.hypothesis/examples/abc",
    ".mypy_cache/3.11/x.json", ".ruff_cache/x", ".tox/py311/x",
    "__pycache__/x.cpython-311.pyc", "plugins/modules/__pycache__/m.cpython-311.pyc", "emulator/__pycache__/e.pyc",
    "plugins/module_utils/stray.pyc", "tests/output/junit/python3.11-sanity.xml", "tests/output/.tmp/x",
    "upstash-cloud-0.9.0.tar.gz", "docs/old-upstash-cloud-1.0.0.tar.gz", "build/lib/x.py", "dist/x.whl",
    "changelogs/.plugin-cache.yaml", "changelogs/fragments/some-change.yml",
)
_CACHES = ("__pycache__", ".pytest_cache", ".hypothesis", ".venv")


def expected_files():
    """The files the tarball must hold, taken from this checkout."""
    files = set(SHIPPED_FILES)
    for directory in SHIPPED_DIRS:
        for parent, subdirectories, names in os.walk(os.path.join(ROOT, directory)):
            subdirectories[:] = [name for name in subdirectories if name not in _CACHES]
            files.update(os.path.relpath(os.path.join(parent, name), ROOT) for name in names if not name.endswith(".pyc"))
    return files


def build(source, output):
    subprocess.run(
        [os.path.join(BIN, "ansible-galaxy"), "collection", "build", source, "--output-path", output, "--force"],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    tarballs = glob.glob(os.path.join(output, "upstash-cloud-*.tar.gz"))
    assert len(tarballs) == 1, tarballs
    with tarfile.open(tarballs[0]) as tar:
        members = tar.getmembers()
    files = set(member.name for member in members if member.isfile())
    directories = set(member.name.rstrip("/") for member in members if member.isdir())
    # Every directory entry is the parent of a shipped file: no empty directory is shipped either.
    assert directories == set(parent for name in files for parent in _parents(name)), sorted(directories)
    return tarballs[0], files


def _parents(name):
    parts = name.split("/")[:-1]
    return ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


def assert_exactly_what_users_need(files):
    leaked = sorted(name for name in files if any(fnmatch.fnmatchcase(name, pattern) for pattern in DEVELOPMENT))
    assert leaked == []
    assert sorted(files - expected_files()) == []
    assert sorted(expected_files() - files) == []


@pytest.fixture(scope="module")
def dirty_checkout(tmp_path_factory):
    """A copy of this checkout with every kind of junk planted in it."""
    copy = tmp_path_factory.mktemp("dirty") / "cloud"
    shutil.copytree(
        ROOT, str(copy), symlinks=True,
        ignore=shutil.ignore_patterns(".git", ".venv*", ".ansible", ".cache", "__pycache__", "*.pyc", ".pytest_cache",
                                      ".hypothesis", "output", "*.tar.gz", "build", "dist"),
    )
    for junk in JUNK:
        path = copy / junk
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("junk\n")
    return str(copy)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(the tarball, its files), built from this checkout as make test leaves it: .venv/ and caches present."""
    return build(ROOT, str(tmp_path_factory.mktemp("built")))


def test_the_tarball_holds_exactly_what_users_need(built):
    dummy, files = built
    assert_exactly_what_users_need(files)
    assert {"plugins/modules/upstash_kafka_connector_info.py", "plugins/lookup/upstash_kafka_connectors.py",
            "emulator/upstash_emulator.py", "docs/docsite/extra-docs.yml"} <= files


def test_the_shipped_readme_links_only_to_what_ships(built):
    """Galaxy shows the tarball's README: its relative links must reach files in the tarball."""
    dummy, files = built
    with open(os.path.join(ROOT, "README.md")) as readme:
        targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme.read())
    relative = [target for target in targets if "://" not in target]
    assert "COPYING" in relative
    broken = [target for target in relative
              if target.rstrip("/") not in files and not any(name.startswith(target.rstrip("/") + "/") for name in files)]
    assert broken == []


def test_a_working_checkouts_junk_stays_out(dirty_checkout, tmp_path):
    dummy, files = build(dirty_checkout, str(tmp_path))
    assert_exactly_what_users_need(files)


def test_manifest_carries_the_galaxy_metadata(built):
    tarball, dummy = built
    with open(os.path.join(ROOT, "galaxy.yml")) as galaxy_file:
        galaxy = yaml.safe_load(galaxy_file)
    with tarfile.open(tarball) as tar:
        info = yaml.safe_load(tar.extractfile("MANIFEST.json"))["collection_info"]
    for key in ("namespace", "name", "version", "description", "license", "tags", "repository", "documentation",
                "homepage", "issues"):
        assert info[key], key
        assert info[key] == galaxy[key], key
    assert info["license"] == ["GPL-3.0-or-later"]


def test_execution_environment_builds_get_the_python_requirements(collections_path):
    """ansible-builder (AWX / Automation Platform images) reads meta/execution-environment.yml."""
    builder = os.path.join(BIN, "ansible-builder")
    if not os.path.exists(builder):
        pytest.skip("ansible-builder is not installed in this venv (only make test's venv has it)")
    result = subprocess.run([builder, "introspect", collections_path], check=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    data = yaml.safe_load(result.stdout.split("---", 1)[1])
    with open(os.path.join(ROOT, "requirements.txt")) as requirements:
        wanted = [line.strip() for line in requirements if line.strip() and not line.startswith("#")]
    python = [entry.split("#")[0].strip() for entry in data["python"]]
    assert wanted and python == wanted
    assert all(entry.endswith("# from collection upstash.cloud") for entry in data["python"])
