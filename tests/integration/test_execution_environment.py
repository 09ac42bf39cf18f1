# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The execution environment definition of the platform guide, as ansible-builder turns it into a
build context, and the definition make ee-demo derives from it.

ansible-builder create writes the Containerfile and the files it copies; the image build itself
needs a container runtime and is make ee-demo's job. What the build does with the collection is
checked here by running the context's own introspection step over the collection installed from
its tarball: that step is where the collection's Python requirements enter the image.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "docs", "docsite", "recipes", "platform", "execution-environment.yml")
INTERNAL_CA = os.path.join(ROOT, "docs", "docsite", "recipes", "platform", "internal_ca.yml")
BIN = os.path.dirname(sys.executable)
BUILDER = os.path.join(BIN, "ansible-builder")

pytestmark = pytest.mark.skipif(not os.path.exists(BUILDER), reason="ansible-builder is only in make test's venv")


def create(definition, context):
    # The file's name is asked for: by default ansible-builder names it after the container runtime it
    # finds on PATH (Containerfile for podman, Dockerfile otherwise), and the content is the same either way.
    subprocess.run([BUILDER, "create", "-f", definition, "-c", context, "--output-filename", "Containerfile"], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(os.path.join(context, "Containerfile"), encoding="utf-8") as containerfile:
        return containerfile.read()


def requirement_lines(path):
    with open(path, encoding="utf-8") as requirements:
        return [line.split("#")[0].strip() for line in requirements if line.split("#")[0].strip()]


def galaxy_version():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as galaxy:
        return yaml.safe_load(galaxy)["version"]


def test_the_example_builds_a_context_that_installs_the_collection_and_its_requirements(collections_path, tmp_path):
    from ansible.galaxy.dependency_resolution.versioning import meets_requirements

    with open(EXAMPLE, encoding="utf-8") as example_file:
        example = yaml.safe_load(example_file)
    assert example["version"] == 3
    context = str(tmp_path / "context")
    containerfile = create(EXAMPLE, context)

    assert 'ARG EE_BASE_IMAGE="%s"' % example["images"]["base_image"]["name"] in containerfile
    assert 'ARG PKGMGR="%s"' % example["options"]["package_manager_path"] in containerfile
    with open(os.path.join(context, "_build", "requirements.yml"), encoding="utf-8") as galaxy_file:
        [collection] = yaml.safe_load(galaxy_file)["collections"]
    assert collection["name"] == "upstash.cloud"
    assert meets_requirements(galaxy_version(), collection["version"])
    assert re.search(r"^RUN .*ansible-galaxy collection install .*-r requirements\.yml", containerfile, re.M)

    # The builder stage's introspection, run as the Containerfile runs it, over the installed collection.
    [introspection] = re.findall(r"^RUN \$PYCMD /output/scripts/introspect\.py (introspect .*)$", containerfile, re.M)
    arguments = shlex.split(introspection)
    assert "--write-pip=/tmp/src/requirements.txt" in arguments
    written = tmp_path / "pip.txt"
    arguments = [argument for argument in arguments if not argument.startswith("--write-")]
    subprocess.run([sys.executable, os.path.join(context, "_build", "scripts", "introspect.py")] + arguments
                   + [collections_path, "--write-pip", str(written), "--write-bindep", str(tmp_path / "bindep.txt")],
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert requirement_lines(str(written)) == requirement_lines(os.path.join(ROOT, "requirements.txt"))
    assert "requests" in written.read_text()
    assert not (tmp_path / "bindep.txt").exists() or not (tmp_path / "bindep.txt").read_text().strip()
    # The image gets what the builder stage assembled from those requirements.
    assert re.search(r"^RUN /output/scripts/assemble$", containerfile, re.M)
    assert re.search(r"^RUN /output/scripts/install-from-bindep ", containerfile, re.M)


def test_the_ee_demo_definition_is_the_example_with_local_sources(tls_certificate, tmp_path):
    subprocess.run([BIN + "/ansible-galaxy", "collection", "build", ROOT, "--output-path", str(tmp_path), "--force"],
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    [tarball] = glob.glob(str(tmp_path / "upstash-cloud-*.tar.gz"))
    definition = str(tmp_path / "execution-environment.yml")
    certificate_path, dummy = tls_certificate
    subprocess.run([sys.executable, os.path.join(ROOT, "demo", "ee_definition.py"), tarball, "localhost/base:test", definition,
                    certificate_path], check=True)
    context = str(tmp_path / "context")
    containerfile = create(definition, context)

    assert 'ARG EE_BASE_IMAGE="localhost/base:test"' in containerfile
    pins = dict(line.split("==") for line in requirement_lines(os.path.join(ROOT, "test-requirements.txt")))
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core==%s ansible-runner==%s"' % (pins["ansible-core"], pins["ansible-runner"]) in containerfile
    with open(os.path.join(context, "_build", "requirements.yml"), encoding="utf-8") as galaxy_file:
        [collection] = yaml.safe_load(galaxy_file)["collections"]
    assert collection == {"name": "collection/" + os.path.basename(tarball), "type": "file"}
    # Copied where the galaxy stage (WORKDIR /build, a copy of _build) finds it.
    assert os.path.getsize(os.path.join(context, "_build", collection["name"])) == os.path.getsize(tarball)
    assert "COPY _build /build\nWORKDIR /build" in containerfile
    with open(EXAMPLE, encoding="utf-8") as example_file, open(definition, encoding="utf-8") as derived_file:
        example, derived = yaml.safe_load(example_file), yaml.safe_load(derived_file)
    assert derived["version"] == example["version"]
    # The CA goes in the way the guide's internal_ca.yml adds one, with Debian's store.
    with open(INTERNAL_CA, encoding="utf-8") as addition_file:
        assert set(derived) - set(example) == set(yaml.safe_load(addition_file))
    with open(os.path.join(context, "_build", "ca", os.path.basename(certificate_path)), encoding="utf-8") as copied, \
            open(certificate_path, encoding="utf-8") as certificate:
        assert copied.read() == certificate.read()
    final_stage = containerfile[containerfile.index("FROM base AS final"):]
    assert "/usr/local/share/ca-certificates/internal-ca.crt\nRUN update-ca-certificates\n" in final_stage


def test_the_internal_ca_addition_puts_the_ca_in_the_final_image_trust_store(tls_certificate, tmp_path):
    with open(EXAMPLE, encoding="utf-8") as example_file, open(INTERNAL_CA, encoding="utf-8") as addition_file:
        definition = yaml.safe_load(example_file)
        addition = yaml.safe_load(addition_file)
    assert not set(addition) & set(definition)
    definition.update(addition)
    project = tmp_path / "project"
    project.mkdir()
    (project / "execution-environment.yml").write_text(yaml.safe_dump(definition))
    certificate_path, dummy = tls_certificate
    with open(certificate_path, encoding="utf-8") as certificate:
        (project / "internal-ca.crt").write_text(certificate.read())
    context = str(tmp_path / "context")
    containerfile = create(str(project / "execution-environment.yml"), context)

    with open(os.path.join(context, "_build", "ca", "internal-ca.crt"), encoding="utf-8") as copied:
        assert copied.read() == (project / "internal-ca.crt").read_text()
    final_stage = containerfile[containerfile.index("FROM base AS final"):]
    steps = addition["additional_build_steps"]["append_final"]
    assert "\n".join(steps) in final_stage
    # The final stage runs as root (from the base stage) until ansible-builder's closing USER line.
    assert re.findall(r"^USER .*$", final_stage, re.M) == ["USER 1000"]
    assert final_stage.index("\n".join(steps)) < final_stage.index("USER 1000")
    assert "USER root" in containerfile[:containerfile.index("FROM base AS galaxy")]
