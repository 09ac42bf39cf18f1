# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure functions over the API's connector and cluster objects: filtering, counting and redaction. No I/O.

Redaction reads every string of an object, wherever Kafka Connect or the API put it (properties,
state_error_message, tasks[].trace, fields nobody knows yet). Every pattern below is bounded so
that a text is scanned in time linear in its length, however hostile it is: a match attempt can
only start at a few marked places and never scans past the next such place.

Private to this collection: not an interface for other collections or playbooks; it may change in
any release.
"""

from __future__ import annotations

import re

REDACTED = "********"

# A key holding one of these anywhere (any case) names a secret: "sslPassword", "client_secret".
SECRET_KEY_PARTS = ("password", "passwd", "passphrase", "secret", "token", "credential", "apikey", "privatekey",
                    "jaas", "authorization", "keyfile")
# These name a secret only as whole words of a key ("db.pwd", "x-api-key"), so that "compass",
# "passive", "bypass" or "key.converter" stay ordinary.
SECRET_KEY_WORDS = frozenset(("pwd", "pass", "accesskey", "accountkey", "encryptionkey", "keystorekey"))
SECRET_KEY_PHRASES = frozenset((("api", "key"), ("private", "key"), ("keystore", "key"), ("access", "key"),
                                ("account", "key"), ("encryption", "key")))

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_SEPARATORS = re.compile(r"[^a-z0-9]+")

# scheme://user:password@host. The password may hold ':', '@', '/', '#' or quotes as people paste
# them; it ends at the first '@' followed by a plausible host, and never runs past whitespace, '?'
# or another "://", which bounds every attempt. Only the start of a scheme may start a match.
_URL_PASSWORD = re.compile(
    r"(?<![A-Za-z0-9+.\-])(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://(?P<user>[^\s:/?#@]*):)"
    r"(?P<password>(?:(?!://)[^\s?])+?)@(?=[^\s@/?#\"']*(?:[\s/?#\"']|$))"
)
_PORT_AND_PATH = re.compile(r"[0-9]{1,5}[/#]")
# Oracle's thin and OCI drivers take user/password@host instead of a URL's user:password@host; a
# password with special characters is quoted. Bounded, so a near miss is never rescanned to the end.
_ORACLE_PASSWORD = re.compile(
    r"(?i:jdbc:oracle:[a-z0-9]{1,10}:)[^\s/@:\"']{1,128}/(?:\"(?P<quoted>[^\"\r\n]{1,256})\"|(?P<bare>[^\s@\"']{1,256}))@"
)

# key=value, key: value, "key": value in query strings, ;-separated connection strings, headers,
# Java maps and JSON. Only the key is matched here, and only a key holding a fragment of a secret
# name (is_secret_key() decides); the value is read only after a secret key.
# A key may also follow a URL-encoded '&', '?' or ';', and be joined to its value by a URL-encoded '='
# (its value then ends at an encoded '&' or ';'). A ':' with no space after it joins a key and its value
# only where nothing but a separator stands before the key and no digit, '/' or ':' follows: not in
# host:port, File.java:12 or ${provider:path:key}.
_KEY_BEFORE_VALUE = re.compile(
    r"(?:(?<![A-Za-z0-9_.\-])|(?<=%26)|(?<=%3[FfBb]))"
    r"(?=[A-Za-z0-9_.\-]{0,99}?(?i:pass|pwd|secret|token|credential|key|jaas|authori))"
    r"(?P<key>[A-Za-z_][A-Za-z0-9_.\-]{0,99})[\"']?[ \t]*"
    r"(?:=|(?P<encoded>%3[Dd])|:(?=[ \t])|(?<=[\"']):|(?P<glued>:)(?![/:0-9\s]))[ \t]*"
)
_BEFORE_A_GLUED_KEY = frozenset(" \t\r\n,;{[\"'")
# A quoted value (JSON escapes allowed; an unclosed quote runs to the end of the line), or a bare
# one up to the next separator. An Authorization-style scheme word stays readable.
_VALUE = re.compile(
    r"(?:(?i:bearer|basic|digest|token|negotiate)[ \t]+(?=[^\s]))?"
    r"(?:\"(?P<double>(?:[^\"\\\r\n]|\\.)*)|'(?P<single>[^'\r\n]*)|(?P<bare>[^\s&;,\"'}\]]+))"
)
_ENCODED_VALUE = re.compile(r"(?P<bare>(?:[^\s&;,\"'}\]%]|%(?!26|3[Bb]))+)")
# "Bearer <token>" or "Basic <base64>" without a header name in front.
_SCHEME_CREDENTIAL = re.compile(r"(?<![A-Za-z0-9])(?i:bearer|basic)[ \t]+(?P<credential>[A-Za-z0-9\-._~+/]{8,}=*)")
_CREDENTIAL_SIGNS = frozenset("0123456789+/=-_.~ABCDEFGHIJKLMNOPQRSTUVWXYZ")

# What every pattern below needs somewhere in a text: most strings of a connector (names, states,
# class names, numbers) have none of it and are passed by in one scan.
_MAY_HOLD_A_SECRET = re.compile(r"[=:]|%3[Dd]|-----BEGIN|[Bb][Ee][Aa][Rr][Ee][Rr][ \t]|[Bb][Aa][Ss][Ii][Cc][ \t]")

# The body of a PEM private key, up to its END line, or up to the next "-----" when it was cut short.
_PEM_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY[A-Z0-9 ]{0,20}-----(?P<body>(?:(?!-----)[\s\S])+)")

_secret_key_memo = {}


def is_secret_key(key):
    """Whether a key (of a mapping, a query string, a header...) names a secret."""
    try:
        return _secret_key_memo[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable key cannot come from JSON; judge its text
        return is_secret_key(str(key))
    text = str(key)
    lowered = text.lower()
    secret = any(part in lowered for part in SECRET_KEY_PARTS)
    # Words as separated, and with camelCase humps split too: "dbPwd", but also "PWD" and "pwD".
    for words in (_WORD_SEPARATORS.split(lowered), _WORD_SEPARATORS.split(_CAMEL_HUMP.sub(" ", text).lower())):
        secret = secret or any(word in SECRET_KEY_WORDS for word in words) or any(
            pair in SECRET_KEY_PHRASES for pair in zip(words, words[1:]))
    if len(_secret_key_memo) < 4096:  # keys repeat across connectors; the bound keeps odd data from growing it
        _secret_key_memo[key] = secret
    return secret


def _looks_like_credential(text):
    # "Basic authentication failed" is prose; a token or base64 has a digit, a sign or a capital inside.
    return any(char in _CREDENTIAL_SIGNS for char in text[1:])


def _masked_spans(text, spans, found):
    """text with each (start, end) span, in order and not overlapping, replaced by REDACTED."""
    if not spans:
        return text
    pieces = []
    last = 0
    for start, end in spans:
        if found is not None:
            found.add(text[start:end])
        pieces.append(text[last:start])
        pieces.append(REDACTED)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _pem_bodies(text):
    return [match.span("body") for match in _PEM_PRIVATE_KEY.finditer(text)]


def _values_of_secret_keys(text):
    spans = []
    last = 0
    for match in _KEY_BEFORE_VALUE.finditer(text):
        # A key inside a value already masked is part of that value; skipping it keeps every value
        # read at most once.
        if match.start() < last or not is_secret_key(match.group("key")):
            continue
        if match.group("glued") and match.start() > 0 and text[match.start() - 1] not in _BEFORE_A_GLUED_KEY:
            continue
        value = (_ENCODED_VALUE if match.group("encoded") else _VALUE).match(text, match.end())
        if value is None:
            continue
        groups = value.groupdict()
        group = "double" if groups.get("double") is not None else "single" if groups.get("single") is not None else "bare"
        start, end = value.span(group)
        # A PEM block was masked already; its BEGIN and END lines stay readable.
        if group == "bare" and text.startswith("-----BEGIN", start):
            continue
        if end > start and text[start:end] != REDACTED:
            spans.append((start, end))
            last = end
    return spans


def _url_passwords(text):
    spans = []
    for match in _URL_PASSWORD.finditer(text):
        password = match.group("password")
        user = match.group("user")
        # host:port/path...@ is a URL without a password whose path holds an '@'.
        if _PORT_AND_PATH.match(password) and ("." in user or user == "localhost"):
            continue
        if password != REDACTED:
            spans.append(match.span("password"))
    return spans


def _oracle_passwords(text):
    spans = []
    for match in _ORACLE_PASSWORD.finditer(text):
        group = "quoted" if match.group("quoted") is not None else "bare"
        if match.group(group) != REDACTED:
            spans.append(match.span(group))
    return spans


def _scheme_credentials(text):
    return [match.span("credential") for match in _SCHEME_CREDENTIAL.finditer(text)
            if _looks_like_credential(match.group("credential"))]


def mask_text(text, found=None):
    """text with every secret it carries replaced by REDACTED; each masked substring is added to found."""
    if not _MAY_HOLD_A_SECRET.search(text):
        return text
    if "-----BEGIN" in text:
        text = _masked_spans(text, _pem_bodies(text), found)
    if "=" in text or ":" in text or "%3" in text:
        text = _masked_spans(text, _values_of_secret_keys(text), found)
        if "://" in text:
            text = _masked_spans(text, _url_passwords(text), found)
        if ":" in text:
            text = _masked_spans(text, _oracle_passwords(text), found)
    if " " in text or "\t" in text:
        text = _masked_spans(text, _scheme_credentials(text), found)
    return text


def mask_url_passwords(text):
    """Replace the password of every URL in text by REDACTED, keeping scheme, user, host, path and query."""
    if "://" not in text:
        return text
    return _masked_spans(text, _url_passwords(text), None)


def _collect_scalars(value, found):
    """Every scalar of a value masked as a whole, as the text it is shown as."""
    if isinstance(value, dict):
        for item in value.values():
            _collect_scalars(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_scalars(item, found)
    elif isinstance(value, str):
        found.add(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        found.add(str(value))


def redact_value(value, found=None):
    """A copy of any JSON value with its secrets masked: the value under a secret-named key becomes
    REDACTED whatever it is, and every other string is masked where it holds a secret. Keys are kept.
    Each masked value or substring is added to found when it is given."""
    if isinstance(value, str):
        return mask_text(value, found)
    if isinstance(value, dict):
        redacted = {}
        for key, item in value.items():
            secret = _secret_key_memo.get(key) if isinstance(key, str) else None
            if secret is None:
                secret = is_secret_key(key)
            if item is not None and secret:
                if found is not None:
                    _collect_scalars(item, found)
                redacted[key] = REDACTED
            elif type(item) is str:  # pylint: disable=unidiomatic-typecheck
                # The common case, without a call per value: big listings hold hundreds of thousands.
                redacted[key] = mask_text(item, found) if _MAY_HOLD_A_SECRET.search(item) else item
            else:
                redacted[key] = redact_value(item, found)
        return redacted
    if isinstance(value, list):
        return [redact_value(item, found) for item in value]
    return value


def secret_strings(value):
    """The set of strings redaction masks in value (whole values and substrings, as they appear in it),
    for hiding them wherever else value is shown. Empty strings are left out."""
    found = set()
    redact_value(value, found)
    # A value masked piecemeal first (a PEM block in a JSON member) was recorded piece by piece too.
    return set(text for text in found if text and REDACTED not in text)


def redact_connector(connector):
    """A copy of one connector with its secrets masked; every key is kept."""
    return redact_value(connector)


def redact_cluster(cluster):
    """A copy of one cluster with its secrets (its password first) masked; every key is kept."""
    return redact_value(cluster)


def _state_of(connector):
    state = connector.get("state")
    return state.lower() if isinstance(state, str) else None


def select_connectors(connectors, name=None, connector_id=None, states=None):
    """The connectors matching every filter given, in their original order; states match in any case."""
    wanted_states = None if states is None else frozenset(state.lower() for state in states)
    return [
        connector
        for connector in connectors
        if (name is None or connector.get("name") == name)
        and (connector_id is None or connector.get("connector_id") == connector_id)
        and (wanted_states is None or _state_of(connector) in wanted_states)
    ]


def summarize(connectors):
    """How many connectors there are and how many are in each (lower-case) state; a connector
    without a state string counts in the total only."""
    by_state = {}
    for connector in connectors:
        state = _state_of(connector)
        if state is not None:
            by_state[state] = by_state.get(state, 0) + 1
    return {"total": len(connectors), "by_state": by_state}


def project(items, fields):
    """Only the given keys of each item (those it has), in the item's own key order."""
    wanted = frozenset(fields)
    return [{key: value for key, value in item.items() if key in wanted} for item in items]


def shape_connectors(connectors, name=None, connector_id=None, states=None, fields=None, redact=True):
    """Filter, project, then redact: what the module and the lookup hand back to a playbook."""
    selected = select_connectors(connectors, name=name, connector_id=connector_id, states=states)
    if fields is not None:
        selected = project(selected, fields)
    if not redact:
        return selected
    return [redact_connector(connector) for connector in selected]


def shape_clusters(clusters, cluster_id=None, name=None, redact=True):
    """Filter by id and name, then redact each password."""
    selected = [
        cluster
        for cluster in clusters
        if (cluster_id is None or cluster.get("cluster_id") == cluster_id) and (name is None or cluster.get("name") == name)
    ]
    if not redact:
        return selected
    return [redact_cluster(cluster) for cluster in selected]
