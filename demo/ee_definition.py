# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Write the execution environment definition make ee-demo builds.

It is the guide's example (docs/docsite/recipes/platform/execution-environment.yml) with what a
machine without a registry or Galaxy needs instead: a local Debian base image, ansible-core and
ansible-runner at the versions the tests pin, and the collection from a freshly built tarball.
Everything else, the way the collection's Python requirements get in included, is the example's.
A CA certificate, if given, joins the image's system trust store as in the guide's internal_ca.yml,
with Debian's paths and command.

Usage: ee_definition.py TARBALL BASE_IMAGE OUTPUT [CA_CERTIFICATE]
"""

from __future__ import annotations

import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "docs", "docsite", "recipes", "platform", "execution-environment.yml")
PINS = os.path.join(ROOT, "test-requirements.txt")


def pinned(package):
    with open(PINS, encoding="utf-8") as pins:
        for line in pins:
            if re.match(r"^%s==" % re.escape(package), line, re.I):
                return line.strip()
    raise SystemExit("%s is not pinned in %s" % (package, PINS))


def definition(tarball, base_image, ca_certificate=None):
    with open(EXAMPLE, encoding="utf-8") as example:
        ee = yaml.safe_load(example)
    ee["images"]["base_image"]["name"] = base_image
    ee["options"]["package_manager_path"] = "/usr/bin/apt-get"
    dependencies = ee["dependencies"]
    # demo/ee_base.sh makes this virtual environment: Debian keeps pip off its system Python.
    dependencies["python_interpreter"] = {"python_path": "/opt/ee/bin/python3"}
    dependencies["ansible_core"] = {"package_pip": pinned("ansible-core")}
    dependencies["ansible_runner"] = {"package_pip": pinned("ansible-runner")}
    # The galaxy stage runs in the context's _build directory, where additional_build_files lands.
    [collection] = dependencies["galaxy"]["collections"]
    assert collection["name"] == "upstash.cloud", collection
    dependencies["galaxy"] = {"collections": [{"name": "collection/" + os.path.basename(tarball), "type": "file"}]}
    ee["additional_build_files"] = [{"src": os.path.abspath(tarball), "dest": "collection"}]
    if ca_certificate:
        ee["additional_build_files"].append({"src": os.path.abspath(ca_certificate), "dest": "ca"})
        ee["additional_build_steps"] = {"append_final": [
            "COPY _build/ca/%s /usr/local/share/ca-certificates/internal-ca.crt" % os.path.basename(ca_certificate),
            "RUN update-ca-certificates",
        ]}
    return ee


def main(arguments):
    if len(arguments) not in (3, 4):
        raise SystemExit(__doc__.strip().splitlines()[-1])
    tarball, base_image, output = arguments[:3]
    with open(output, "w", encoding="utf-8") as written:
        written.write("---\n")
        yaml.safe_dump(definition(tarball, base_image, *arguments[3:]), written, sort_keys=False)


if __name__ == "__main__":
    main(sys.argv[1:])
