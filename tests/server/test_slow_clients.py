#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Slow and greedy clients: a request whose headers trickle in is cut at the whole-request
deadline (each byte would reset an idle timeout), a body below the minimum rate is cut, one
address cannot take more than its share of connections, and a client over the connection limit is
answered 503 with Retry-After (or closed) at once instead of waiting in the kernel's backlog. The
idle timeout is set far above every wait here, so only the new limits can end these connections;
the waits themselves only bound a test that would otherwise hang."""
import os
import shutil
import socket
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = E.make_repo(os.path.join(root, "repo"), with_cls=False)
c = E.Checker()
WAIT = 120  # bound on every wait; the connection (idle) timeout below is 600 s


def trickle(port, first, each, src="127.0.0.1"):
    """Sends `first`, then `each` whenever the previous send went through (paced by a condition
    with a 0.2 s wait, which only sets how fast bytes trickle), until the server ends the
    connection. Returns how it ended: 'closed' or 'answered <status line>'."""
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(WAIT)
    s.connect(("127.0.0.1", port))
    s.sendall(first)
    pace = threading.Event()
    try:
        for _ in range(int(WAIT / 0.2)):
            pace.wait(0.2)
            try:
                s.sendall(each)
            except OSError:
                return "closed"
            s.setblocking(False)
            try:
                got = s.recv(4096)
                if not got:
                    return "closed"
                return "answered " + got.split(b"\r\n", 1)[0].decode()
            except BlockingIOError:
                pass
            except OSError:
                return "closed"
            finally:
                s.setblocking(True)
        return "still open"
    finally:
        s.close()


def read_answer(s):
    """The status line of the answer on `s`, or 'closed'."""
    try:
        got = s.recv(4096)
    except OSError:
        return "closed", b""
    if not got:
        return "closed", b""
    return got.split(b"\r\n", 1)[0].decode(), got


servers = []
try:
    s = E.Server(repo, "--request-timeout", "2", "--min-transfer-rate", "0",
                 "--connection-timeout", "600")
    servers.append(s)
    how = trickle(s.port, b"GET /v2/health/live HTTP/1.1\r\n", b"X-a: b\r\n")
    c.eq("trickled headers are cut at the whole-request deadline", how, "closed")
    how = trickle(s.port, b"POST /v2/models/add/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Length: 100000\r\n\r\n", b"[")
    c.eq("a trickled body is cut at the deadline", how, "closed")
    c.eq("health still answered", s.request("GET", "/v2/health/live")[0], 200)
    c.eq("exit 0", s.stop(), 0)

    s = E.Server(repo, "--request-timeout", "0", "--min-transfer-rate", "100000",
                 "--connection-timeout", "600")
    servers.append(s)
    how = trickle(s.port, b"POST /v2/models/add/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Length: 10000000\r\n\r\n", b"[" * 100)
    c.eq("a body below the minimum rate is cut (no deadline set)", how, "closed")
    c.eq("exit 0 (rate)", s.stop(), 0)

    # Per-address cap and the connection limit.
    s = E.Server(repo, "--max-connections", "6", "--max-connections-per-ip", "3",
                 "--connection-timeout", "600", "--request-timeout", "600")
    servers.append(s)
    held = []

    def connect_and_ask(src):
        """A kept-alive connection from `src` that has been answered once (so the server has
        counted it, whatever thread accepted it)."""
        k = socket.socket()
        k.bind((src, 0))
        k.settimeout(WAIT)
        k.connect(("127.0.0.1", s.port))
        try:
            k.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        except OSError:
            pass
        return k, read_answer(k)[0]

    for i in range(3):
        k, st = connect_and_ask("127.0.0.2")
        held.append(k)
        c.eq("connection %d from 127.0.0.2 served" % (i + 1), st, "HTTP/1.1 200 OK")
    k, st = connect_and_ask("127.0.0.2")
    k.close()
    c.eq("a 4th connection from the same address is closed at once", st, "closed")
    for i in range(3):
        k, st = connect_and_ask("127.0.0.%d" % (3 + i))
        held.append(k)
        c.eq("connection %d (another address) served" % (4 + i), st, "HTTP/1.1 200 OK")
    k = socket.create_connection(("127.0.0.1", s.port), timeout=WAIT)
    try:
        k.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    except OSError:
        pass
    st, got = read_answer(k)
    k.close()
    print("over the limit: %s" % st)
    c.true("over the connection limit: 503 with Retry-After, or closed, never a wait",
           (st.startswith("HTTP/1.1 503") and b"Retry-After: 1" in got) or st == "closed",
           repr(got[:300]))
    for k in held:
        k.close()
    c.eq("exit 0 (limits)", s.stop(), 0)
finally:
    rc = c.done(servers[-1] if servers else None)
    for s in servers:
        s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
