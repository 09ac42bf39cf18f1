# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Secrets: the account's credential in any disguise, and the secrets inside API data. No I/O.

Credential: an echo of the API key, raw, as base64 of ``email:key``, percent-, JSON-, HTML- or
repr-escaped, split by whitespace or cut short, reads as one of a few fixed forms in some view of the
text (whitespace dropped, escapes decoded a few rounds); a run of FRAGMENT characters of a form is a find.

Redaction: the secrets in every string of a connector or cluster are replaced by MASK. Every pattern
is bounded, so any text, however hostile, is scanned in time linear in its length.
"""

from __future__ import annotations

import base64
import re
from itertools import compress

MASK = "********"

# The shortest run of a form that is masked wherever it appears: shorter runs are common in ordinary
# text, and 8 characters of a random key or of base64 are already far beyond guessing.
FRAGMENT = 8
# The view is sampled with blocks of BLOCK characters every STRIDE characters: any run of FRAGMENT
# characters holds a whole sampled block, since FRAGMENT >= BLOCK + STRIDE - 1. Only where a sampled
# block is a block of some form are the runs of FRAGMENT characters around it looked up.
BLOCK = 3
STRIDE = 6
# Rounds of decoding: enough for a key percent-encoded twice or JSON-escaped inside a URL.
DECODE_ROUNDS = 3
# The longest escape _ESCAPE knows: "&#1114111;" or "&#x10FFFF;".
_LONGEST_ESCAPE = 10
# How far decoding reaches from an escape of the first view: each round's escape may take up to
# _LONGEST_ESCAPE characters past what the previous round decoded, and a find holds FRAGMENT more.
ESCAPE_REACH = _LONGEST_ESCAPE * (DECODE_ROUNDS + 1) + FRAGMENT

# One escape for one character: percent-encoding, JSON and Python escapes, HTML character references.
_ESCAPE = re.compile(
    r"%[0-9A-Fa-f]{2}"
    r"|\\(?:u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|[\\/\"'bfnrtv])"
    r"|&(?:#[0-9]{1,7};|#[xX][0-9A-Fa-f]{1,6};|amp;|quot;|apos;|lt;|gt;)"
)
_SIMPLE_ESCAPES = {
    "\\\\": "\\", "\\/": "/", '\\"': '"', "\\'": "'", "\\b": "\b", "\\f": "\f", "\\n": "\n", "\\r": "\r",
    "\\t": "\t", "\\v": "\v", "&amp;": "&", "&quot;": '"', "&apos;": "'", "&lt;": "<", "&gt;": ">",
}
# Every str.isspace() character (the last is U+3000), for str.translate: far faster than a regular expression.
_DROP_WHITESPACE = dict((code, None) for code in range(0x3001) if chr(code).isspace())


def _decode_escapes(match):
    """The one character a match of _ESCAPE stands for."""
    escape = match.group()
    if escape in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[escape]
    digits = escape[1:] if escape[0] == "%" else escape[2:] if escape[0] == "\\" else escape[2:-1]
    number = int(digits, 10) if digits[0] not in "xX" and escape[0] == "&" else int(digits.lstrip("xX"), 16)
    # A reference to no character still stands for one character of the view.
    return chr(number) if number <= 0x10FFFF else "\ufffd"


# The characters every alternative of _ESCAPE starts with.
_ESCAPE_OPENERS = "%\\&"


def _views(text):
    """The views of text after each round of decoding: whitespace dropped, then escapes decoded. Every
    view is searched: an escape can swallow a form's first characters ("%" before a key starting "4a")."""
    views = [text.translate(_DROP_WHITESPACE)]
    # Three substring searches first: they are much faster than a scan by _ESCAPE.
    while len(views) <= DECODE_ROUNDS and any(map(views[-1].__contains__, _ESCAPE_OPENERS)) and _ESCAPE.search(views[-1]):
        views.append(_ESCAPE.sub(_decode_escapes, views[-1]).translate(_DROP_WHITESPACE))
    return views


def _escaped_stretches(view):
    """The stretches of view within ESCAPE_REACH of an escape, joined where they meet: each ends amid
    text no round of decoding reaches into, so decoded alone it reads as it does inside the view."""
    if sum(map(view.count, _ESCAPE_OPENERS)) * 2 * ESCAPE_REACH > len(view):
        # Dense enough for the stretches to cover most of it: decoding it whole costs less than finding them.
        return [view]
    starts = []
    for opener in _ESCAPE_OPENERS:
        at = view.find(opener)
        while at >= 0:
            if _ESCAPE.match(view, at):
                starts.append(at)
            at = view.find(opener, at + 1)
    starts.sort()
    stretches = []
    for at in starts:
        if stretches and at - ESCAPE_REACH <= stretches[-1][1]:
            stretches[-1][1] = at + ESCAPE_REACH
        else:
            stretches.append([max(0, at - ESCAPE_REACH), at + ESCAPE_REACH])
    return [view[start:end] for start, end in stretches]


def _base64_forms(data):
    """The base64 texts (standard and URL-safe) that only encoding data gives: inside a longer text data
    starts at one of three byte offsets, and for each, the characters that depend on data alone are fixed."""
    forms = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
        first = -(-offset * 8 // 6)
        last = (offset + len(data)) * 8 // 6
        core = encoded[first:last]
        forms.extend([core, core.translate(_URL_SAFE)])
    whole = base64.b64encode(data).decode("ascii")
    forms.extend([whole, whole.translate(_URL_SAFE)])
    return forms


_URL_SAFE = str.maketrans("+/", "-_")


class CredentialForms:
    """The forms of one account's API key, alone and as basic auth with its e-mail, to find in any text."""

    def __init__(self, email, api_key):
        key = api_key.encode("utf-8")
        forms = [api_key, api_key.replace(" ", "+"), key.decode("latin-1")]
        forms.extend(_base64_forms(key))
        if email:
            pair = ("%s:%s" % (email, api_key)).encode("utf-8")
            forms.extend(_base64_forms(pair)[-2:])
        # A form is looked for in every round's view of a text, and a key holding an escape ("%00")
        # reads differently in each, so every round's view of every form is a form.
        views = set(view for form in set(forms) for view in _views(form))
        # A form shorter than FRAGMENT is found only whole; runs of FRAGMENT characters of any form are finds.
        self._exact = sorted((view for view in views if 0 < len(view) < FRAGMENT), key=len, reverse=True)
        long_views = [view for view in views if len(view) >= FRAGMENT]
        self._fragments = frozenset(view[start:start + FRAGMENT] for view in long_views for start in range(len(view) - FRAGMENT + 1))
        # The blocks of the fragments are those of their views, read without slicing each fragment (ten times faster).
        self._blocks = frozenset(block for view in long_views for block in zip(*(view[offset:] for offset in range(BLOCK))))
        self._exact_pattern = re.compile("|".join(re.escape(view) for view in self._exact)) if self._exact else None

    def _sampled_hits(self, view):
        """The offsets of the sampled blocks of view that are blocks of a form, found without a Python-level loop."""
        sampled = zip(*(view[offset::STRIDE] for offset in range(BLOCK)))
        return compress(range(0, len(view), STRIDE), map(self._blocks.__contains__, sampled))

    def _holds_form(self, view):
        """Whether view holds a short form whole or a run of FRAGMENT characters of a form."""
        if self._exact_pattern is not None and self._exact_pattern.search(view):
            return True
        fragments, last = self._fragments, len(view) - FRAGMENT
        for at in self._sampled_hits(view) if fragments and last >= 0 else ():
            for start in range(max(0, at + BLOCK - FRAGMENT), min(at, last) + 1):
                if view[start:start + FRAGMENT] in fragments:
                    return True
        return False

    def finds(self, text):
        """Whether text holds the key in any form. A form only a later view shows was touched by decoding:
        beyond the first view, only the stretches around its escapes are decoded."""
        view = text.translate(_DROP_WHITESPACE)
        if self._holds_form(view):
            return True
        return any(self._holds_form(decoded) for stretch in _escaped_stretches(view) for decoded in _views(stretch)[1:])


# A key holding one of these anywhere (any case) names a secret: "sslPassword", "client_secret".
SECRET_KEY_PARTS = ("password", "passwd", "passphrase", "secret", "token", "credential", "apikey", "privatekey",
                    "jaas", "authorization", "keyfile")
# These name a secret only as whole words of a key ("db.pwd", "x-api-key"), so that "compass",
# "passive", "bypass" or "key.converter" stay ordinary.
SECRET_KEY_WORDS = frozenset(("pwd", "pass", "accesskey", "accountkey", "encryptionkey", "keystorekey", "userinfo"))
# Kafka's password-type configs count too, under any prefix: basic.auth.user.info (schema registry
# clients, "value.converter.basic.auth.user.info"), s3.sse.customer.key.
SECRET_KEY_PHRASES = frozenset((("api", "key"), ("private", "key"), ("keystore", "key"), ("access", "key"),
                                ("account", "key"), ("encryption", "key"), ("user", "info"), ("customer", "key")))

# Every name above holds one of these: a key without any is decided by one search.
_SECRET_NAME_HINT = "pass|pwd|secret|token|credential|key|jaas|authori|info"
_MAY_NAME_A_SECRET = re.compile(_SECRET_NAME_HINT)
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

# key=value, key: value, "key": value in query strings, connection strings, headers, Java maps and JSON,
# also after an encoded '&', '?' or ';' and before an encoded '='. Only a key that may name a secret is
# matched (is_secret_key() decides). A ':' with no space after it joins a key and its value only after a
# separator and before anything but a digit, '/' or ':': not in host:port, File.java:12 or ${provider:path:key}.
_KEY_BEFORE_VALUE = re.compile(
    r"(?:(?<![A-Za-z0-9_.\-])|(?<=%26)|(?<=%3[FfBb]))"
    r"(?=[A-Za-z0-9_.\-]{0,99}?(?i:" + _SECRET_NAME_HINT + "))"
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
    if key in _secret_key_memo:
        return _secret_key_memo[key]
    text = str(key)
    lowered = text.lower()
    secret = False
    if _MAY_NAME_A_SECRET.search(lowered):
        # Words as separated, and with camelCase humps split too: "dbPwd", but also "PWD" and "pwD".
        word_lists = (_WORD_SEPARATORS.split(lowered), _WORD_SEPARATORS.split(_CAMEL_HUMP.sub(" ", text).lower()))
        secret = any(part in lowered for part in SECRET_KEY_PARTS) or any(
            word in SECRET_KEY_WORDS for words in word_lists for word in words) or any(
            pair in SECRET_KEY_PHRASES for words in word_lists for pair in zip(words, words[1:]))
    if len(_secret_key_memo) < 4096:  # keys repeat across connectors; the bound keeps odd data from growing it
        _secret_key_memo[key] = secret
    return secret


def _masked_spans(text, spans, found):
    """text with each (start, end) span, in order and not overlapping, replaced by MASK."""
    pieces, last = [], 0
    for start, end in spans:
        if found is not None:
            found.add(text[start:end])
        pieces.extend((text[last:start], MASK))
        last = end
    return "".join(pieces) + text[last:] if pieces else text


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
        if end > start and text[start:end] != MASK:
            spans.append((start, end))
            last = end
    return spans


def _url_passwords(text):
    # host:port/path...@ is a URL without a password whose path holds an '@'.
    return [match.span("password") for match in _URL_PASSWORD.finditer(text) if match.group("password") != MASK and not (
        _PORT_AND_PATH.match(match.group("password")) and ("." in match.group("user") or match.group("user") == "localhost"))]


def _oracle_passwords(text):
    groups = [(match, "quoted" if match.group("quoted") is not None else "bare") for match in _ORACLE_PASSWORD.finditer(text)]
    return [match.span(group) for match, group in groups if match.group(group) != MASK]


def _scheme_credentials(text):
    # "Basic authentication failed" is prose; a token or base64 has a digit, a sign or a capital inside.
    return [match.span("credential") for match in _SCHEME_CREDENTIAL.finditer(text)
            if any(char in _CREDENTIAL_SIGNS for char in match.group("credential")[1:])]


def mask_text(text, found=None):
    """text with every secret it carries replaced by MASK; each masked substring is added to found."""
    if not _MAY_HOLD_A_SECRET.search(text):
        return text
    if "-----BEGIN" in text:
        text = _masked_spans(text, [match.span("body") for match in _PEM_PRIVATE_KEY.finditer(text)], found)
    if "=" in text or ":" in text or "%3" in text:
        text = _masked_spans(text, _values_of_secret_keys(text), found)
        if "://" in text:
            text = _masked_spans(text, _url_passwords(text), found)
        if ":" in text:
            text = _masked_spans(text, _oracle_passwords(text), found)
    if " " in text or "\t" in text:
        text = _masked_spans(text, _scheme_credentials(text), found)
    return text


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


def redact(value, found=None):
    """A copy of any JSON value, keys kept: a secret-named key's value becomes MASK, any other string is
    masked where it holds a secret. Each masked value or substring is added to found when it is given."""
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
                redacted[key] = MASK
            elif type(item) is str:  # pylint: disable=unidiomatic-typecheck
                # The common case, without a call per value: big listings hold hundreds of thousands.
                redacted[key] = mask_text(item, found) if _MAY_HOLD_A_SECRET.search(item) else item
            else:
                redacted[key] = redact(item, found)
        return redacted
    if isinstance(value, list):
        return [redact(item, found) for item in value]
    return value


# A secret is masked where it stands whatever its length; elsewhere in the output it is searched for
# only from this length on, so a short password never turns "test_connector" into "********_connector".
SEARCHED_MIN = 6


def secret_strings(value):
    """The strings redaction masks in value, as they appear in it, long enough to be searched for elsewhere."""
    found = set()
    redact(value, found)
    # A value masked piecemeal first (a PEM block in a JSON member) was recorded piece by piece too.
    return set(text for text in found if len(text) >= SEARCHED_MIN and MASK not in text)
