# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Masking of the account credentials in any text or data that leaves this collection.

A server, a proxy or a library can echo the API key in many disguises: raw, as the base64 of
``email:key`` (with or without ``Basic``/``Bearer``, padding, line wrapping), percent-encoded whole or
character by character, JSON-, HTML- or repr-escaped, split by whitespace, or cut short by a message
limit. Matching each disguise with its own pattern misses combinations, so the text is first read
through a *view*: escapes decoded (a few rounds, for double encoding) and whitespace dropped, with a
map from every view character back to the text it came from. In that view every disguise of the key
becomes one of a few fixed strings (the forms), and any run of 8 or more characters of a form is
masked in the original text. Everything is linear in the size of the text: regular expressions
without nested repetition, and a scan that samples one 4-character block in four of the view.

Private to this collection: not an interface for other collections or playbooks; it may change in
any release.
"""

from __future__ import annotations

import base64
import bisect
import logging
import re
import sys
from array import array
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
# Rounds of decoding: enough for a key percent-encoded twice or JSON-escaped inside a URL, bounded so
# that the work stays linear.
DECODE_ROUNDS = 3
# The longest escape _ESCAPE knows: "&#1114111;" or "&#x10FFFF;".
_LONGEST_ESCAPE = 10
# How far decoding reaches from an escape of the first view: a later round's escape can begin with a
# character an earlier one decoded and take plain characters after it, at most _LONGEST_ESCAPE in each
# round, and a run of a form holds FRAGMENT characters.
ESCAPE_REACH = _LONGEST_ESCAPE * (DECODE_ROUNDS + 1) + FRAGMENT

# One escape that stands for one character: percent-encoding, JSON and Python string escapes, and
# the HTML character references a debug page would use. Each alternative has a bounded length.
_ESCAPE = re.compile(
    r"%[0-9A-Fa-f]{2}"
    r"|\\(?:u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|[\\/\"'bfnrtv])"
    r"|&(?:#[0-9]{1,7};|#[xX][0-9A-Fa-f]{1,6};|amp;|quot;|apos;|lt;|gt;)"
)
_SIMPLE_ESCAPES = {
    "\\\\": "\\", "\\/": "/", '\\"': '"', "\\'": "'", "\\b": "\b", "\\f": "\f", "\\n": "\n", "\\r": "\r",
    "\\t": "\t", "\\v": "\v", "&amp;": "&", "&quot;": '"', "&apos;": "'", "&lt;": "<", "&gt;": ">",
}
_WHITESPACE = re.compile(r"\s+")
# The same characters (both follow str.isspace(), the last of them is U+3000), dropped by str.translate,
# which is many times faster than a regular expression or split and join.
_DROP_WHITESPACE = dict((code, None) for code in range(0x3001) if chr(code).isspace())

# "Basic <base64 of user:password>", as proxies and debug pages echo request headers back, whoever
# the user is.
_BASIC_CREDENTIALS = re.compile(r"(?i)\b(basic\s+)([A-Za-z0-9+/]{4,}={0,2})")


def _unescape(escape):
    """The one character a match of _ESCAPE stands for."""
    simple = _SIMPLE_ESCAPES.get(escape)
    if simple is not None:
        return simple
    if escape[0] == "%":
        number = int(escape[1:], 16)
    elif escape[0] == "\\":
        number = int(escape[2:], 16)
    elif escape[2] in "xX":
        number = int(escape[3:-1], 16)
    else:
        number = int(escape[2:-1])
    # A reference to no character still stands for one character of the view.
    return chr(number) if number <= 0x10FFFF else "\ufffd"


def _decode_escapes(match):
    return _unescape(match.group())


# The characters every alternative of _ESCAPE starts with.
_ESCAPE_OPENERS = "%\\&"


def _may_escape(text):
    # Three substring searches are much faster than a scan by _ESCAPE.
    return any(map(text.__contains__, _ESCAPE_OPENERS))


def _views(text):
    """The views of text after each round of decoding: whitespace dropped, then escapes decoded.

    Every round's view is searched, not only the last: an escape can swallow the first characters of
    a form written plainly after it ("%" followed by a key starting with two hex digits).
    """
    views = [text.translate(_DROP_WHITESPACE)]
    while len(views) <= DECODE_ROUNDS and _may_escape(views[-1]) and _ESCAPE.search(views[-1]):
        views.append(_ESCAPE.sub(_decode_escapes, views[-1]).translate(_DROP_WHITESPACE))
    return views


def _escaped_stretches(view):
    """The stretches of view that decoding changes, each with ESCAPE_REACH characters around it.

    Stretches closer than twice that are joined, so that each ends amid text that no round of decoding
    reaches into: decoded alone, a stretch reads as it does inside the whole view.
    """
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


class _Pass:
    """How one step (escape decoding or whitespace removal) moved the characters of a text.

    A step changes the text only at its matches; between them characters are copied one for one.
    Each match is recorded as where its replacement starts in the output, where it was in the input,
    and how long its replacement is (1 for a decoded escape, 0 for removed whitespace).
    """

    def __init__(self, pattern, text, replace):
        self.out_at = array("q")
        self.in_start = array("q")
        self.in_end = array("q")
        self.out_len = bytearray()
        pieces = []
        copied = out = 0
        for match in pattern.finditer(text):
            start, end = match.span()
            pieces.append(text[copied:start])
            out += start - copied
            replacement = replace(match)
            pieces.append(replacement)
            self.out_at.append(out)
            self.in_start.append(start)
            self.in_end.append(end)
            self.out_len.append(len(replacement))
            out += len(replacement)
            copied = end
        pieces.append(text[copied:])
        self.output = "".join(pieces)

    def _locate(self, position):
        """(start, end) in the input of the output character at position."""
        index = bisect.bisect_right(self.out_at, position) - 1
        if index < 0:
            return position, position + 1
        at, length = self.out_at[index], self.out_len[index]
        if at == position and length:
            return self.in_start[index], self.in_end[index]
        start = self.in_end[index] + position - at - length
        return start, start + 1

    def source(self, start, end):
        """The input range that the output range [start, end) came from."""
        return self._locate(start)[0], self._locate(end - 1)[1]


def _steps(text, rounds):
    """The steps that lead from text to its views: the view of round r is the output of step 2 * r."""
    steps = [_Pass(_WHITESPACE, text, lambda match: "")]
    for dummy in range(rounds):
        steps.append(_Pass(_ESCAPE, steps[-1].output, _decode_escapes))
        steps.append(_Pass(_WHITESPACE, steps[-1].output, lambda match: ""))
    return steps


# A sampled block packed into the bytes of a C unsigned int, the item of memoryview.cast("I").
_PACKED_SIZE = array("I").itemsize


def _packed(block):
    return int.from_bytes(block.ljust(_PACKED_SIZE, b"\0"), sys.byteorder)


def _base64_forms(data):
    """The base64 texts (standard and URL-safe alphabets) that can only come from encoding data.

    Inside a longer encoded text, data may start at any of three byte offsets; for each, the
    characters that depend on data alone are the same whatever surrounds it.
    """
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


class CredentialMask:
    """Masks the API key of one account, in every form derivable from the credentials."""

    def __init__(self, email, api_key):
        self._exact = []
        fragments = set()
        if api_key:
            key = api_key.encode("utf-8")
            forms = [api_key, api_key.replace(" ", "+"), key.decode("latin-1")]
            forms.extend(_base64_forms(key))
            if email:
                pair = ("%s:%s" % (email, api_key)).encode("utf-8")
                forms.extend(_base64_forms(pair)[-2:])
            # A form is looked for in every round's view of a text, and a key holding an escape ("%00")
            # reads differently in each, so every round's view of every form is a form.
            views = set(view for form in forms for view in _views(form))
            # The raw key and whole encodings are masked wherever they appear, however short;
            # runs of FRAGMENT characters are masked when cut from any form.
            self._exact = sorted((view for view in views if 0 < len(view) < FRAGMENT), key=len, reverse=True)
            for view in views:
                for start in range(len(view) - FRAGMENT + 1):
                    fragments.add(view[start:start + FRAGMENT])
        self._fragments = frozenset(fragments)
        self._blocks = frozenset(tuple(fragment[start:start + BLOCK]) for fragment in fragments for start in range(FRAGMENT - BLOCK + 1))
        self._packed_blocks = frozenset(_packed(block.encode("ascii")) for block in map("".join, self._blocks) if block.isascii())
        self._exact_pattern = re.compile("|".join(re.escape(view) for view in self._exact)) if self._exact else None

    def _sampled_hits(self, view):
        """The offsets of the sampled blocks of view that are blocks of a form; tested without a Python-level loop."""
        offsets = range(0, len(view), STRIDE)
        if view.isascii():
            # The characters of each sampled block as the bytes of one integer, which is cheaper to make
            # and to look up than a tuple of characters; a block cut short by the end reads as zero bytes.
            data = view.encode("ascii")
            packed = bytearray(_PACKED_SIZE * len(offsets))
            for offset in range(BLOCK):
                column = data[offset::STRIDE]
                packed[offset:_PACKED_SIZE * len(column):_PACKED_SIZE] = column
            return compress(offsets, map(self._packed_blocks.__contains__, memoryview(packed).cast("I")))
        sampled = zip(*(view[offset::STRIDE] for offset in range(BLOCK)))
        return compress(offsets, map(self._blocks.__contains__, sampled))

    def _spans(self, view):
        """Sorted, merged [start, end) ranges of view that hold a form or a run of one."""
        spans = []
        if self._exact_pattern is not None:
            spans.extend(match.span() for match in self._exact_pattern.finditer(view))
        if self._fragments and len(view) >= FRAGMENT:
            fragments, last = self._fragments, len(view) - FRAGMENT
            for at in list(self._sampled_hits(view)):
                for start in range(max(0, at + BLOCK - FRAGMENT), min(at, last) + 1):
                    if view[start:start + FRAGMENT] in fragments:
                        spans.append((start, start + FRAGMENT))
        spans.sort()
        merged = []
        for start, end in spans:
            # One character between two masked runs (in base64, the one that mixes the bits of two
            # copies of the key) is masked with them rather than left as noise.
            if merged and start - merged[-1][1] <= 1:
                if end > merged[-1][1]:
                    merged[-1][1] = end
            else:
                merged.append([start, end])
        return merged

    def finds(self, text):
        """Whether text holds the key in any form, as mask would find it, without decoding the whole text.

        A form that only a later view shows was touched by decoding, so it lies within ESCAPE_REACH characters
        of an escape of the first view: beyond that first view, only the stretches around escapes are decoded.
        """
        if not (self._fragments or self._exact):
            return False
        view = text.translate(_DROP_WHITESPACE)
        if self._spans(view):
            return True
        return any(self._spans(decoded) for stretch in _escaped_stretches(view) for decoded in _views(stretch)[1:])

    def mask(self, text):
        """text with every form of the key, and every run of FRAGMENT characters of one, replaced by MASK."""
        text = mask_basic_credentials(text)
        if not (self._fragments or self._exact):
            return text
        views = _views(text)
        found = [self._spans(view) for view in views]
        if not any(found):
            return text
        steps = _steps(text, len(views) - 1)
        ranges = []
        for rounds, spans in enumerate(found):
            for start, end in spans:
                for step in reversed(steps[:2 * rounds + 1]):
                    start, end = step.source(start, end)
                ranges.append((start, end))
        ranges.sort()
        pieces, copied = [], 0
        for start, end in ranges:
            # Ranges found in different views may overlap or touch: one mask covers them all.
            if pieces and start <= copied:
                copied = max(copied, end)
                continue
            pieces.extend([text[copied:start], MASK])
            copied = end
        pieces.append(text[copied:])
        return "".join(pieces)

    def mask_data(self, data):
        """data (nested dicts, lists and strings, keys included) with every string masked."""
        if isinstance(data, str):
            return self.mask(data)
        if isinstance(data, dict):
            return dict((self.mask_data(key), self.mask_data(value)) for key, value in data.items())
        if isinstance(data, list):
            return [self.mask_data(item) for item in data]
        if isinstance(data, tuple):
            return tuple(self.mask_data(item) for item in data)
        return data


def mask_basic_credentials(text):
    """text with every "Basic <base64 of user:password>" masked, whoever the user is."""
    # A case-insensitive regular expression scans slowly; most texts hold no "basic" at all.
    return _BASIC_CREDENTIALS.sub(_mask_basic_pair, text) if "basic" in text.lower() else text


def _mask_basic_pair(match):
    try:
        decoded = base64.b64decode(match.group(2), validate=True)
    except (ValueError, TypeError):
        return match.group(0)
    # Only a user:password pair is masked, so ordinary words after "Basic" stay readable.
    return match.group(1) + MASK if b":" in decoded else match.group(0)


# The libraries under the client log what they send and receive: urllib3 quotes the raw headers it
# could not parse ("Failed to parse headers ... unparsed data: '...'") and the exception behind a retry
# (a malformed status line holds whatever the server put there). Ansible's log_path handler sits on the
# root logger at INFO, so those records would land in the log file of the worker process and the lookup.
TRANSPORT_LOGGERS = ("urllib3", "requests")
# Loggers of modules that requests or urllib3 import only when needed; created here so that they carry
# the filter from the start.
_LAZY_TRANSPORT_LOGGERS = ("urllib3.contrib.socks", "urllib3.contrib.pyopenssl", "urllib3.http2", "urllib3.http2.connection")


class _Withhold(logging.Filter):
    """Drops every record of the logger it is attached to."""

    def filter(self, record):
        return False


_WITHHOLD = _Withhold()


def withhold_transport_logs():
    """Keep every log record of requests and urllib3 away from any handler, in this process.

    A filter on a logger sees only the records of that very logger, not those of its children, so it is
    attached to every logger of both libraries. Idempotent.
    """
    manager = logging.Logger.manager
    names = set(TRANSPORT_LOGGERS + _LAZY_TRANSPORT_LOGGERS)
    names.update(name for name in list(manager.loggerDict) if name.split(".", 1)[0] in TRANSPORT_LOGGERS)
    for name in names:
        logger = logging.getLogger(name)
        if _WITHHOLD not in logger.filters:
            logger.addFilter(_WITHHOLD)


def mask_credentials(text, email, api_key):
    """text with the API key masked in every form derivable from email and api_key."""
    return CredentialMask(email, api_key).mask(text)
