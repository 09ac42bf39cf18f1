# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What requests and urllib3 do not bound on their own: the time of one request attempt as a whole,
the size of an answer, and a call that must stop at once from another thread.

urllib3's timeouts bound each socket operation, so a server that sends a byte a second never trips
them. Here every attempt gets a deadline when it starts (a new connection, or a request on a kept
one); each read of the answer, headers and body, waits only for what is left of it. The attempt
belongs to the Call the current thread is working for, which can also be cancelled: its sockets are
shut down, and no new attempt starts.
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
    import urllib3
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.response import HTTPResponse
except ImportError:
    # The client reports the missing library in one sentence; this module must still import for it to.
    HTTPAdapter = HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = HTTPResponse = object
    URLLIB3_1 = False
else:
    URLLIB3_1 = urllib3.__version__.startswith("1.")

_current = threading.local()


class Cancelled(Exception):
    """The call was cancelled from another thread; nothing more is sent for it."""


class Call:
    """The deadline of each attempt and the cancellation of everything sent for one client."""

    def __init__(self, timeout):
        self.timeout = timeout
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._connections = weakref.WeakSet()

    def in_this_thread(self):
        """Context manager: requests made by this thread until it ends belong to this call."""
        return _InThread(self)

    def attempt_deadline(self, connection):
        """A new attempt starts on connection: its deadline, after checking the call still runs."""
        if self._cancelled.is_set():
            raise Cancelled()
        with self._lock:
            self._connections.add(connection)
        return time.monotonic() + self.timeout

    def pause(self, seconds):
        """Wait between attempts, cut short by a cancellation."""
        if self._cancelled.wait(seconds):
            raise Cancelled()

    @property
    def cancelled(self):
        return self._cancelled.is_set()

    def cancel(self):
        """Stop every request of this call: no new attempt starts, and sockets in use are shut down,
        so a thread waiting for an answer wakes up at once."""
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


class _InThread:
    def __init__(self, call):
        self._call = call
        self._previous = None

    def __enter__(self):
        self._previous = getattr(_current, "call", None)
        _current.call = self._call
        return self._call

    def __exit__(self, *exc_info):
        _current.call = self._previous


def current_call():
    """The Call this thread is sending requests for, if any."""
    return getattr(_current, "call", None)


class _DeadlineReader(io.RawIOBase):
    """The socket stream of one answer; each read waits at most until the attempt's deadline."""

    def __init__(self, raw, sock, deadline):
        super().__init__()
        self._raw = raw
        self._sock = sock
        self._deadline = deadline

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


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock, *args, **kwargs):
        deadline = kwargs.pop("deadline")
        super().__init__(sock, *args, **kwargs)
        # detach() hands over the socket stream without closing it; reads now go through the deadline.
        self.fp = io.BufferedReader(_DeadlineReader(self.fp.detach(), sock, deadline))


class _DeadlineConnectionMixin:
    """urllib3 connection whose attempts end at their deadline: a new connection starts an attempt,
    as does each request on a kept connection; connecting, sending and reading share its time."""

    _attempt_open = False
    _deadline = None

    def _start_attempt(self):
        call = current_call()
        self._deadline = None if call is None else call.attempt_deadline(self)
        if self._deadline is not None:
            self.response_class = functools.partial(_DeadlineResponse, deadline=self._deadline)

    def _remaining(self):
        return max(self._deadline - time.monotonic(), 0.001)

    def connect(self):
        if not self._attempt_open:
            self._start_attempt()
            self._attempt_open = True
        if self._deadline is not None:
            self.timeout = min(self.timeout, self._remaining()) if isinstance(self.timeout, (int, float)) else self._remaining()
        try:
            super().connect()
        except BaseException:
            self._attempt_open = False
            raise

    def request(self, *args, **kwargs):
        try:
            if not self._attempt_open:
                self._start_attempt()
                self._attempt_open = True
            if self._deadline is not None and self.sock is not None:
                self.sock.settimeout(self._remaining())
            return super().request(*args, **kwargs)
        finally:
            # Whatever follows on this connection is a new attempt.
            self._attempt_open = False


class _DeadlineHTTPConnection(_DeadlineConnectionMixin, HTTPConnection):
    pass


class _DeadlineHTTPSConnection(_DeadlineConnectionMixin, HTTPSConnection):
    pass


class _LengthCheckingResponse(HTTPResponse):
    """urllib3 1.26 reads a body cut off before its Content-Length as if it were whole, unless told
    otherwise (urllib3 2 checks by default): then the cut is an error the client retries."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("enforce_content_length", True)
        super().__init__(*args, **kwargs)


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection
    if URLLIB3_1:
        ResponseCls = _LengthCheckingResponse


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection
    if URLLIB3_1:
        ResponseCls = _LengthCheckingResponse


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


class TooLarge(Exception):
    """An answer went past the size limit; args: the limit in bytes."""


def read_limited(response, limit, cut=False, chunk_size=256 * 1024):
    """The body of a streamed requests response, decompressed: past limit bytes refused (TooLarge),
    or with cut, only its first limit bytes.

    requests decompresses gzip and deflate while it streams, so the limit counts what the answer
    expands to, and a compressed answer never grows past limit plus one chunk in memory.
    """
    declared = response.headers.get("Content-Length", "")
    if not cut and declared.isdigit() and int(declared) > limit and "Content-Encoding" not in response.headers:
        response.close()
        raise TooLarge(limit)
    chunks, size = [], 0
    for chunk in response.iter_content(min(chunk_size, limit + 1)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            response.close()
            if not cut:
                raise TooLarge(limit)
            return b"".join(chunks)[:limit]
    return b"".join(chunks)


def system_trust_store():
    """Where OpenSSL looks for trusted CAs on this system (SSL_CERT_FILE, SSL_CERT_DIR or the built-in
    paths), as requests' verify takes it; None when the system has none, so requests' own bundle is used."""
    paths = ssl.get_default_verify_paths()
    # An explicit SSL_CERT_DIR without SSL_CERT_FILE names the store to use, as for OpenSSL's tools.
    if os.environ.get(paths.openssl_capath_env) and not os.environ.get(paths.openssl_cafile_env) and paths.capath:
        return paths.capath
    if paths.cafile:
        return paths.cafile
    if paths.capath and any(os.scandir(paths.capath)):
        return paths.capath
    return None
