# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What requests and urllib3 do not bound on their own, fitted into their own machinery.

urllib3's timeouts bound each socket operation, so a server sending a byte a second never trips them.
Here each attempt (a new connection, or a request on a kept one) has a deadline that every read keeps,
and the body is read whole, within it and a size limit, while urllib3 still holds the attempt: a body
cut off is a read error its Retry policy handles. Every attempt belongs to a Call, which can be cancelled
from another thread or reach its own end (the task's timeout, a wait_timeout): then sockets in use are
shut down and no attempt, retry or pause starts.
"""

from __future__ import annotations

import functools
import http.client
import io
import os
import socket
import ssl
import threading
import time
import weakref

try:
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import InvalidHeader, MaxRetryError
    from urllib3.util.retry import Retry
except ImportError:
    # The client reports the missing library in one sentence; this module must still import for it to.
    HTTPAdapter = HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = Retry = object

# 429 and 5xx are transient. A POST or DELETE is repeated only when the API certainly did not act on
# it: a refusal (429, 503) or a connection that never opened. Any other 5xx may come after the change.
GET_RETRY_STATUSES = (429, 500, 502, 503, 504)
MUTATION_RETRY_STATUSES = (429, 503)
BACKOFF_FACTOR = 0.5
BACKOFF_MAX = 10.0
# A server asking for a longer pause than this would stall an unattended run for too long.
RETRY_AFTER_MAX = 60.0
# What is kept of an error answer: its first words are all a message shows.
ERROR_BODY_MAX = 64 * 1024
_CHUNK = 256 * 1024

_current = threading.local()


def causes(exc):
    """exc and every exception behind it, through requests' and urllib3's wrappers, outermost first."""
    chain = []
    while isinstance(exc, BaseException) and all(exc is not seen for seen in chain):
        chain.append(exc)
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException):
            # ProtocolError carries its cause second: ("Connection aborted.", RemoteDisconnected(...)).
            inner = next((arg for arg in getattr(exc, "args", ()) if isinstance(arg, BaseException)), None)
        exc = inner if inner is not None else exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return chain


class Cancelled(Exception):
    """The call was cancelled, or reached its end, before this request was answered."""


class TooLarge(Exception):
    """An answer went past the size limit."""


class Call:
    """The attempts of one client: their deadline, the size limit of their answers, and their end."""

    def __init__(self, timeout, max_bytes):
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.end = None  # time.monotonic() after which nothing is sent
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._connections = weakref.WeakSet()

    def time_left(self):
        return None if self.end is None else self.end - time.monotonic()

    @property
    def cancelled(self):
        left = self.time_left()
        return self._cancelled.is_set() or (left is not None and left <= 0)

    def attempt_deadline(self, connection):
        """A new attempt starts on connection: its deadline, once it is sure the call still runs."""
        if self.cancelled:
            raise Cancelled()
        with self._lock:
            self._connections.add(connection)
        deadline = time.monotonic() + self.timeout
        return deadline if self.end is None else min(deadline, self.end)

    def pause(self, seconds):
        """Wait between attempts; an end or a cancellation meanwhile stops the call."""
        left = self.time_left()
        if self._cancelled.wait(seconds if left is None else max(0.0, min(seconds, left))) or self.cancelled:
            raise Cancelled()

    def cancel(self):
        """Stop every request: no attempt starts after this, and a thread waiting for an answer wakes at once."""
        self._cancelled.set()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            sock = getattr(connection, "sock", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def bind_thread(self):
        """The requests this thread makes from now on belong to this call."""
        _current.call = self


class RetryPolicy(Retry):
    """urllib3's Retry with Retry-After capped and every pause ending with the call; a host name that does
    not resolve is not retried: waiting will not make a typo resolve."""

    # urllib3 1.26 caps the backoff with a class attribute, renamed in 1.26.9; 2.x takes an argument.
    DEFAULT_BACKOFF_MAX = BACKOFF_MAX
    BACKOFF_MAX = BACKOFF_MAX
    RETRY_AFTER_STATUS_CODES = frozenset()  # a status is retried only when listed, Retry-After or not

    @classmethod
    def for_method(cls, method, retries):
        safe = method == "GET"
        kwargs = dict(total=retries, connect=retries, read=retries if safe else 0, status=retries, other=0, redirect=5,
                      backoff_factor=BACKOFF_FACTOR, allowed_methods=frozenset([method]), respect_retry_after_header=True,
                      status_forcelist=GET_RETRY_STATUSES if safe else MUTATION_RETRY_STATUSES, raise_on_status=False)
        try:
            return cls(backoff_max=BACKOFF_MAX, **kwargs)
        except TypeError:  # urllib3 < 2
            return cls(**kwargs)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if any(isinstance(cause, socket.gaierror) for cause in causes(error)):
            raise MaxRetryError(_pool, url, error)
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_retry_after(self, response):
        try:
            seconds = super().get_retry_after(response)
        except InvalidHeader:  # neither seconds nor a date: plain backoff applies
            return None
        return None if seconds is None else min(seconds, RETRY_AFTER_MAX)

    def sleep(self, response=None):
        wait = self.get_retry_after(response) if response is not None else None
        _current.call.pause(wait or self.get_backoff_time())


class _DeadlineReader(io.RawIOBase):
    """The socket stream of one answer; each read waits at most until the attempt's deadline."""

    def __init__(self, raw, sock, deadline):
        super().__init__()
        self._raw, self._sock, self._deadline = raw, sock, deadline

    def readable(self):
        return True

    def readinto(self, buffer):
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out")
        self._sock.settimeout(remaining)
        return self._raw.readinto(buffer)

    def close(self):
        self._raw.close()
        super().close()


class _WholeBodyResponse(http.client.HTTPResponse):
    """An answer whose body is read in begin(), inside urllib3's attempt, within the deadline and the limit."""

    def __init__(self, sock, *args, **kwargs):
        self._deadline, self._max_bytes = kwargs.pop("deadline"), kwargs.pop("max_bytes")
        super().__init__(sock, *args, **kwargs)
        self._socket = sock
        # detach() hands over the socket stream without closing it; reads now go through the deadline.
        self.fp = io.BufferedReader(_DeadlineReader(self.fp.detach(), sock, self._deadline))

    def begin(self):
        super().begin()
        limit = self._max_bytes if self.status < 300 else ERROR_BODY_MAX  # an error answer's first words are enough
        if self.length is not None and self.length > limit and self.status < 300:
            raise TooLarge()
        chunks, size = [], 0
        while size <= limit:
            chunk = http.client.HTTPResponse.read(self, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        body = b"".join(chunks)
        if size > limit and self.status < 300:
            raise TooLarge()
        if self.length and size <= limit:  # the connection closed before the length it announced
            raise http.client.IncompleteRead(body, self.length)
        body = body[:limit]
        if self.status >= 300:
            # A retry or a redirect goes out on a new connection: a server that answered an error may be closing
            # this one without saying so, and a POST sent into that would be lost and never repeated.
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.fp, self.length, self.chunked = io.BytesIO(body), len(body), False
        if "Content-Length" in self.msg:  # what urllib3 checks the body against
            self.msg.replace_header("Content-Length", str(len(body)))


class _DeadlineConnectionMixin:
    """urllib3 connection whose attempts end at their deadline: a new connection starts an attempt,
    as does each request on a kept connection; connecting, sending and reading share its time."""

    _attempt_open = False

    def _start_attempt(self):
        # Client.request() binds its thread to its call before it sends: the thread's call is always set.
        if not self._attempt_open:
            call = _current.call
            self._deadline = call.attempt_deadline(self)
            self.response_class = functools.partial(_WholeBodyResponse, deadline=self._deadline, max_bytes=call.max_bytes)
            self._attempt_open = True

    def _remaining(self):
        return max(self._deadline - time.monotonic(), 0.001)

    def connect(self):
        self._start_attempt()
        self.timeout = min(self.timeout, self._remaining()) if isinstance(self.timeout, (int, float)) else self._remaining()
        try:
            super().connect()
        except BaseException:
            self._attempt_open = False
            raise

    def request(self, *args, **kwargs):
        try:
            self._start_attempt()
            if self.sock is not None:
                self.sock.settimeout(self._remaining())
            return super().request(*args, **kwargs)
        finally:
            # Whatever follows on this connection is a new attempt.
            self._attempt_open = False


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = type("DeadlineHTTPConnection", (_DeadlineConnectionMixin, HTTPConnection), {})


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = type("DeadlineHTTPSConnection", (_DeadlineConnectionMixin, HTTPSConnection), {})


_POOL_CLASSES = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests adapter whose connections keep the deadline of the Call of the thread using them."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOL_CLASSES

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        # SOCKS proxies bring their own connection classes; they keep urllib3's per-read timeouts.
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOL_CLASSES
        return manager


def decompressed_body(response, limit, cut=False):
    """The body of a streamed requests response as it expands (gzip, deflate): refused past limit
    bytes, or with cut (an error answer), only its first ERROR_BODY_MAX bytes."""
    limit = ERROR_BODY_MAX if cut else limit
    chunks, size = [], 0
    for chunk in response.iter_content(min(_CHUNK, limit + 1)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            response.close()
            if cut:
                return b"".join(chunks)[:limit]
            raise TooLarge()
    return b"".join(chunks)


def system_trust_store():
    """Where OpenSSL looks for trusted CAs (SSL_CERT_FILE, SSL_CERT_DIR or the built-in paths), as
    requests' verify takes it; None when the system has none, so requests' own bundle is used."""
    paths = ssl.get_default_verify_paths()
    # An explicit SSL_CERT_DIR without SSL_CERT_FILE names the store to use, as for OpenSSL's tools.
    if os.environ.get(paths.openssl_capath_env) and not os.environ.get(paths.openssl_cafile_env) and paths.capath:
        return paths.capath
    if paths.cafile:
        return paths.cafile
    if paths.capath and any(os.scandir(paths.capath)):
        return paths.capath
    return None
