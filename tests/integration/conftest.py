# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Integration fixtures: the collection built and installed from a tarball, the emulator as a real
HTTP server on 127.0.0.1, and a runner for real ansible-playbook processes."""

from __future__ import annotations

import datetime
import glob
import importlib.util
import ipaddress
import json
import os
import socket
import subprocess
import sys
import types

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks")
EMULATOR = os.path.join(ROOT, "emulator", "upstash_emulator.py")
BIN = os.path.dirname(sys.executable)

EMAIL = "it@example.com"
# Distinctive so a leak into any output is unmistakable.
API_KEY = "upk-it-7f3a9c2e5b1d"
PROD = "7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01"
STAGING = "staging_cluster-02"
EMPTY = "e0e0e0e0-0000-4000-8000-000000000003"


@pytest.fixture(scope="session")
def it():
    """The names and secrets the integration tests share with the emulator."""
    return types.SimpleNamespace(email=EMAIL, api_key=API_KEY, prod=PROD, staging=STAGING, empty=EMPTY)


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


upstash_emulator = _load("upstash_emulator", EMULATOR)
hostile_servers = _load("hostile_server", os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile_server.py"))


@pytest.fixture
def hostile_server():
    """A server that writes raw, misbehaving HTTP; see tests/integration/hostile_server.py."""
    server = hostile_servers.HostileServer()
    yield server
    server.stop()


@pytest.fixture
def api_double():
    """An API stand-in that acts, then misbehaves as each case says; see ApiDouble in hostile_server.py."""
    double = hostile_servers.ApiDouble()
    yield double
    double.stop()


def start_emulator(*args, **settings):
    """The emulator as a child process, with the credentials the tests use."""
    return upstash_emulator.ChildEmulator("--email", EMAIL, "--api-key", API_KEY, *args, **settings)


@pytest.fixture(scope="session")
def emulator_process():
    emulator = start_emulator()
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator(emulator_process):
    emulator_process.reset()
    yield emulator_process
    emulator_process.reset()


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    """Build the collection tarball from this checkout and install it, as a user would."""
    work = tmp_path_factory.mktemp("collection")
    subprocess.run(
        [os.path.join(BIN, "ansible-galaxy"), "collection", "build", ROOT, "--output-path", str(work), "--force"],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    tarball = glob.glob(str(work / "upstash-cloud-*.tar.gz"))
    assert len(tarball) == 1, tarball
    installed = work / "collections"
    subprocess.run(
        [os.path.join(BIN, "ansible-galaxy"), "collection", "install", tarball[0], "-p", str(installed), "--force"],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    return str(installed)


@pytest.fixture
def ansible(collections_path, emulator, tmp_path):
    """Run a playbook from tests/integration/playbooks against the emulator and return its output.

    Every run, passing or failing, is checked for a traceback and for the API key."""

    def run(playbook, *args, expect_rc=0, env=None, credentials="env", extra_vars=None):
        environment = dict(os.environ)
        for name in list(environment):
            if name.startswith(("UPSTASH_", "ANSIBLE_")):
                del environment[name]
        environment.update(
            ANSIBLE_COLLECTIONS_PATH=collections_path,
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
            ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
            # Absolute, so async jobs are found even where HOME is not the user's home directory.
            ANSIBLE_ASYNC_DIR=str(tmp_path / "ansible-async"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            PATH=BIN + os.pathsep + environment.get("PATH", ""),
        )
        if credentials == "env":
            environment.update(UPSTASH_EMAIL=EMAIL, UPSTASH_API_KEY=API_KEY, UPSTASH_API_URL=emulator.url)
        environment.update(env or {})
        variables = dict(
            emulator_url=emulator.url, prod=PROD, staging=STAGING, empty=EMPTY, output_dir=str(tmp_path),
        )
        variables.update(extra_vars or {})
        command = [
            os.path.join(BIN, "ansible-playbook"), os.path.join(PLAYBOOKS, playbook),
            "-e", json.dumps(variables),
        ] + list(args)
        result = subprocess.run(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=300, cwd=str(tmp_path), check=False)
        assert result.returncode == expect_rc, result.stdout[-6000:]
        assert "Traceback" not in result.stdout, result.stdout[-6000:]
        assert API_KEY not in result.stdout
        return result.stdout

    return run


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and localhost, as (certificate path, key path).

    It is its own CA, with the extensions strict verifiers insist on, so it works as a ca_path."""
    directory = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    public_key = key.public_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "upstash emulator test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )
    certificate_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(certificate_path), str(key_path)


@pytest.fixture
def tls_emulator(tls_certificate):
    """An emulator serving HTTPS with the self-signed certificate of tls_certificate."""
    certificate_path, key_path = tls_certificate
    emulator = start_emulator("--tls-cert", certificate_path, "--tls-key", key_path, cafile=certificate_path)
    yield emulator
    emulator.stop()


@pytest.fixture
def second_emulator():
    """Another plain HTTP emulator, for a redirect to a different host to land on."""
    emulator = start_emulator()
    yield emulator
    emulator.stop()


@pytest.fixture
def many_clusters_emulator():
    """An emulator whose account has 43 Kafka clusters."""
    emulator = start_emulator("--extra-clusters", "40")
    yield emulator
    emulator.stop()


@pytest.fixture
def big_emulator():
    """An emulator whose cluster big-cluster has 1,200 connectors: an answer of over 700,000 characters."""
    emulator = start_emulator("--big-cluster-size", "1200")
    yield emulator
    emulator.stop()


@pytest.fixture
def unused_port():
    """A 127.0.0.1 port nothing listens on (free when checked; nothing in these tests takes it after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
