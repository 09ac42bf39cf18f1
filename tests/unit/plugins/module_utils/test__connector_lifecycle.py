# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the connector module decides to send: pure functions, no HTTP."""

from __future__ import annotations

import pytest

from ansible_collections.upstash.cloud.plugins.module_utils._connector_lifecycle import (
    plan_properties,
    plan_running,
    property_secrets,
    same_value,
)

CURRENT = {"connector.class": "io.example.Sink", "tasks.max": "1", "enabled": "true", "ratio": "0.5",
           "db.password": "pw-1", "connection.uri": "mongodb://app:pw-2@db.example.net/x", "ssl": {"enabled": True}}


@pytest.mark.parametrize("wanted, current", [(1, "1"), (True, "true"), (False, "false"), (0.5, "0.5"), ("x", "x"),
                                             ({"a": 1}, {"a": 1}), (None, None)])
def test_values_that_mean_the_same(wanted, current):
    assert same_value(wanted, current)


@pytest.mark.parametrize("wanted, current", [(1, "2"), (True, "True"), ("1", 1.5), ({"a": 1}, {"a": 2}), ("", None)])
def test_values_that_differ(wanted, current):
    assert not same_value(wanted, current)


def test_only_differing_and_missing_properties_are_sent():
    wanted = {"tasks.max": 1, "enabled": True, "ratio": "0.75", "topics": "orders", "ssl": {"enabled": True}}
    assert plan_properties(wanted, CURRENT) == {"ratio": "0.75", "topics": "orders"}


def test_a_connector_without_properties_gets_every_wanted_one():
    assert plan_properties({"tasks.max": "1"}, None) == {"tasks.max": "1"}


@pytest.mark.parametrize("update_secrets, expected", [
    ("always", {"db.password": "pw-3", "connection.uri": "mongodb://app:pw-4@db.example.net/x"}),
    ("on_create", {}),
])
def test_secrets_are_compared_or_left_alone(update_secrets, expected):
    wanted = {"db.password": "pw-3", "connection.uri": "mongodb://app:pw-4@db.example.net/x", "tasks.max": "1"}
    assert plan_properties(wanted, CURRENT, update_secrets) == expected


def test_masked_secrets_are_sent_only_with_always():
    masked = {"db.password": "********", "connection.uri": "mongodb://app:********@db.example.net/x"}
    wanted = {"db.password": "pw-1", "connection.uri": "mongodb://app:pw-2@db.example.net/x"}
    assert plan_properties(wanted, masked, "always") == wanted
    assert plan_properties(wanted, masked, "on_create") == {}


def test_equal_secrets_are_not_sent():
    assert plan_properties({"db.password": "pw-1"}, CURRENT, "always") == {}


@pytest.mark.parametrize("running_state, state, call", [
    (None, "failed", None), (None, "paused", None),
    ("running", "running", None), ("running", "pending", None), ("running", "paused", "start"),
    ("running", "failed", "restart"), ("running", "FAILED", "restart"),
    ("paused", "paused", None), ("paused", "running", "pause"), ("paused", "failed", "pause"), ("paused", "pending", "pause"),
    ("restarted", "running", "restart"), ("restarted", "failed", "restart"), ("restarted", None, "restart"),
])
def test_the_running_state_call(running_state, state, call):
    assert plan_running(running_state, state) == call


@pytest.mark.parametrize("params", [None, {}, {"properties": None}, {"properties": "text"}, {"properties": ["a"]}, "x"])
def test_property_secrets_accepts_anything(params):
    assert property_secrets(params) == set()


def test_property_secrets_are_the_values_redaction_masks():
    secrets = property_secrets({"properties": {"db.password": "pw-1", "connection.uri": "mongodb://app:pw-2@db/x", "topics": "t"}})
    assert {"pw-1", "pw-2"} <= secrets and "t" not in secrets
