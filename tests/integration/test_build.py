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
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)

# Build output, caches and local environments that a working checkout accumulates: none of it may
# reach Galaxy or an execution environment image.
FORBIDDEN_DIRS = frozenset([
    ".git", ".venv", ".ansible", ".cache", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache",
    ".tox", "__pycache__",
])
FORBIDDEN_PATTERNS = (
    ".venv*", "*/.venv/*", "tests/output", "tests/output/*", "*.tar.gz", "*.pyc", "build", "build/*", "dist", "dist/*",
    "changelogs/.plugin-cache.yaml", "Makefile", ".ci", ".ci/*", "benchmarks", "benchmarks/*",
)
# Planted in a copy of the checkout before building, at the depths where tools really create them.
JUNK = (
    ".venv/bin/python", ".venv-matrix/ansible-core-2.17/bin/python", "tests/unit/.venv/pyvenv.cfg",
    ".git/HEAD", ".ansible/collections/ansible_collections/x/y/MANIFEST.json", ".cache/pip/x",
    ".pytest_cache/v/cache/nodeids", "tests/.pytest_cache/README.md",
    ".hypothesis/examples/abc", "tests/unit/.hypothesis/examples/abc",
    ".mypy_cache/3.11/x.json", ".ruff_cache/x", ".tox/py311/x",
    "__pycache__/x.cpython-311.pyc", "plugins/modules/__pycache__/m.cpython-311.pyc",
    "plugins/module_utils/stray.pyc", "tests/output/junit/python3.11-sanity.xml", "tests/output/.tmp/x",
    "upstash-cloud-0.9.0.tar.gz", "docs/old-upstash-cloud-1.0.0.tar.gz", "build/lib/x.py", "dist/x.whl",
    "changelogs/.plugin-cache.yaml",
)


def forbidden(member):
    parts = member.split("/")
    return (
        any(part in FORBIDDEN_DIRS for part in parts)
        or any(fnmatch.fnmatchcase(member, pattern) for pattern in FORBIDDEN_PATTERNS)
    )


def build(source, output):
    subprocess.run(
        [os.path.join(BIN, "ansible-galaxy"), "collection", "build", source, "--output-path", output, "--force"],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    tarballs = glob.glob(os.path.join(output, "upstash-cloud-*.tar.gz"))
    assert len(tarballs) == 1, tarballs
    with tarfile.open(tarballs[0]) as tar:
        return tarballs[0], sorted(member.name.rstrip("/") for member in tar.getmembers())


def shipped_sources():
    """The files that must be in every release: the plugins, their metadata, docs and licence."""
    required = {
        "MANIFEST.json", "FILES.json", "README.md", "CHANGELOG.md", "COPYING", "LICENSES/GPL-3.0-or-later.txt",
        "requirements.txt", "meta/runtime.yml", "meta/execution-environment.yml", "changelogs/changelog.yaml",
        "changelogs/config.yaml", "emulator/upstash_emulator.py", "docs/docsite/extra-docs.yml", "docs/docsite/links.yml",
    }
    for pattern in ("plugins/*/*.py", "docs/docsite/rst/*.rst"):
        required.update(os.path.relpath(path, ROOT) for path in glob.glob(os.path.join(ROOT, pattern)))
    return required


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


def test_the_tarball_holds_the_collection_and_no_junk(dirty_checkout, tmp_path):
    dummy, members = build(dirty_checkout, str(tmp_path))
    assert [member for member in members if forbidden(member)] == []
    assert shipped_sources() - set(members) == set()
    # The planted junk is really gone, not merely renamed into something the patterns miss.
    assert not any("junk" in member or member.endswith(".whl") for member in members)


def test_the_checkout_as_it_is_builds_clean(tmp_path):
    # make test runs this with .venv/ and pytest's caches present in the checkout.
    dummy, members = build(ROOT, str(tmp_path))
    assert [member for member in members if forbidden(member)] == []
    assert shipped_sources() - set(members) == set()


def test_manifest_carries_the_galaxy_metadata(tmp_path):
    tarball, dummy = build(ROOT, str(tmp_path))
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
