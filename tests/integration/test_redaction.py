# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Redaction through real ansible-playbook runs: the module in the worker process and in a module process,
and the lookup, at -vvvv. Expectations are written out from the documented rules (option redact), not computed by the collection."""

from __future__ import annotations

import copy
import json

MASK = "********"

# The emulator's sample data: (connector name, path to a value) -> that value redacted.
SAMPLE_MASKED = {
    ("mongo-sink", "properties", "connection.uri"): "mongodb+srv://appuser:********@cluster0.example.net/orders?retryWrites=true",
    ("pg-source", "properties", "connection.password"): MASK,
    ("s3-archive", "properties", "aws.access.key.id"): MASK,
    ("s3-archive", "properties", "aws.secret.access.key"): MASK,
    ("es-sink", "properties", "ssl"): {"truststore.password": MASK, "enabled": True},
    ("es-sink", "properties", "sasl.jaas.config"): MASK,
    ("es-sink", "user_password"): MASK,
    ("http-source", "properties", "http.request.headers"): "Authorization: Bearer ********",
}
SAMPLE_SECRETS = ("Mongo-Pa55w0rd", "Pg-Secret-123", "s3-Secret-Key", "Es-User-Pass", "trust-me", "stg-Token-789")

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7Pem+Body/Secret\n-----END RSA PRIVATE KEY-----"
SERVICE_ACCOUNT = {"type": "service_account", "project_id": "shop", "private_key_id": "Sa-Key-Id-7f1",
                   "private_key": "-----BEGIN PRIVATE KEY-----\nSa+Pem/Body\n-----END PRIVATE KEY-----\n",
                   "client_email": "sink@shop.iam.example.net"}
# Each kind of secret a string can hold: (the text, the secrets in it, the text redacted).
KINDS = [
    ("mongodb+srv://appuser:Url-Pass-1a@cluster0.example.net/orders", ["Url-Pass-1a"],
     "mongodb+srv://appuser:********@cluster0.example.net/orders"),
    ("postgresql://shop:Raw/Sl#sh-2b@db.example.net:5432/shop", ["Raw/Sl#sh-2b"],
     "postgresql://shop:********@db.example.net:5432/shop"),
    ("jdbc:postgresql://db.example.net:5432/shop?user=shop&password=Query-Pass-3c&ssl=true", ["Query-Pass-3c"],
     "jdbc:postgresql://db.example.net:5432/shop?user=shop&password=********&ssl=true"),
    ("jdbc:sqlserver://db.example.net:1433;user=sa;password=Jdbc-Pass-4d;encrypt=true", ["Jdbc-Pass-4d"],
     "jdbc:sqlserver://db.example.net:1433;user=sa;password=********;encrypt=true"),
    ("Authorization: Bearer Hdr-Token-5e", ["Hdr-Token-5e"], "Authorization: Bearer ********"),
    ("headers {Authorization=Basic QmFzaWMtNmY6eA==, Accept=application/json}", ["QmFzaWMtNmY6eA=="],
     "headers {Authorization=Basic ********, Accept=application/json}"),
    ("ssl.keystore.key=" + PEM, ["Pem+Body/Secret"],
     "ssl.keystore.key=-----BEGIN RSA PRIVATE KEY-----********-----END RSA PRIVATE KEY-----"),
    (json.dumps(SERVICE_ACCOUNT), ["Sa-Key-Id-7f1", "Sa+Pem/Body"],
     json.dumps(dict(SERVICE_ACCOUNT, private_key_id=MASK, private_key=MASK))),
    ('PlainLoginModule required username="u" password="Jaas-Pass-8g";', ["Jaas-Pass-8g"],
     'PlainLoginModule required username="u" password="********";'),
]


def connector_with(number, text):
    """A connector holding text in each place Kafka Connect or the API puts strings."""
    return {
        "connector_id": "kind-%d" % number, "name": "kind-%d" % number, "cluster_id": "7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01",
        "state": "failed", "state_error_message": "Connector configuration is invalid: " + text,
        "tasks": [{"id": 0, "state": "FAILED", "trace": "org.apache.kafka.connect.errors.ConnectException: %s\n\tat x.Y(Y.java:1)" % text}],
        "properties": {"connector.class": "x.Y", "connection.url": text, "transforms": {"route": [{"targets": ["ok", text]}]}},
        "future_field": {"detail": text},
    }


SECRET_KEYS = {"db.pwd": "Pwd-9h", "db.pass": "Pass-9i", "ssl.keystore.key": "Keystore-9j", "azure.account.key": "Account-9k",
               "encryption.key": "Encryption-9l", "private_key": "Private-9m", "ssl.keyfile": "Keyfile-9n",
               "Authorization": "Token Auth-9o", "clientSecret": "Camel-9p"}
ORDINARY_KEYS = {"kafka.auth.mode": "sasl_plain", "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                 "compass.bearing": "north", "passive.mode": "true"}


def hostile_listing():
    connectors = [connector_with(number, text) for number, (text, dummy, dummy) in enumerate(KINDS)]
    connectors.append({"connector_id": "keys", "name": "keys", "state": "running", "user_password": "Top-User-9q",
                       "properties": dict(SECRET_KEYS, **ORDINARY_KEYS)})
    return connectors


def expected_listing():
    connectors = [connector_with(number, masked) for number, (dummy, dummy, masked) in enumerate(KINDS)]
    connectors.append({"connector_id": "keys", "name": "keys", "state": "running", "user_password": MASK,
                       "properties": dict(dict.fromkeys(SECRET_KEYS, MASK), **ORDINARY_KEYS)})
    return connectors


def test_sample_data_is_redacted_by_default_and_keeps_every_key(ansible, tmp_path):
    output = ansible("redaction.yml", "-vvvv")
    results = json.loads((tmp_path / "redaction.json").read_text())
    assert results["module_redacted"] == results["lookup_redacted"]
    assert results["module_raw"] == results["lookup_raw"]
    raw = results["module_raw"]
    assert [connector["name"] for connector in raw] == [
        "mongo-sink", "pg-source", "s3-archive", "es-sink", "http-source", "legacy-sink"]
    expected = copy.deepcopy(raw)
    by_name = dict((connector["name"], connector) for connector in expected)
    for (name, *path), masked in SAMPLE_MASKED.items():
        parent = by_name[name]
        for key in path[:-1]:
            parent = parent[key]
        assert parent[path[-1]] != masked
        parent[path[-1]] = masked
    assert results["module_redacted"] == expected
    for secret in SAMPLE_SECRETS:
        assert secret in json.dumps(raw)
        assert secret not in json.dumps(results["module_redacted"])
        assert secret not in output
    # A cluster's password, through the cluster module.
    assert [cluster["password"] for cluster in results["clusters"]] == [MASK] * 3


def test_secrets_inside_strings_are_masked_on_every_path(ansible, emulator, tmp_path):
    hostile = hostile_listing()
    emulator.fault("status", count=-1, status=200, body=hostile)
    output = ansible("redaction_strings.yml", "-vvvv")
    results = json.loads((tmp_path / "redaction_strings.json").read_text())
    assert results["raw"] == hostile
    expected = expected_listing()
    for path in ("worker", "module_process", "lookup"):
        assert results[path] == expected, path
    secrets = [secret for dummy, found, dummy in KINDS for secret in found] + list(SECRET_KEYS.values()) + ["Top-User-9q"]
    for secret in secrets:
        assert secret in json.dumps(hostile)
        assert secret not in output
        assert secret not in json.dumps(results["worker"])
