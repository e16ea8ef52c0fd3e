# SPDX-License-Identifier: GPL-2.0
"""Helpers of the control-plane selftests (ctl_*.py); not a test itself.

A small TAP 13 reporter, mqttctl and /proc wrappers, and a raw-socket MQTT
3.1.1 client that counts every byte it sends and receives, so that tests can
compare the broker's counters with the traffic they made.

Waits are hang guards (KMQTT_TIMEOUT_SCALE multiplies them), never timing
assertions: "a message did not arrive" is shown by a marker published after
it arriving first.
"""
import os
import socket
import struct
import subprocess
import sys
import time
import traceback

HOST = os.environ.get("KMQTT_HOST", "127.0.0.1")
PORT = int(os.environ.get("KMQTT_PORT", "1883"))
HERE = os.path.dirname(os.path.abspath(__file__))
MQTTCTL = os.environ.get("KMQTT_MQTTCTL",
                         os.path.normpath(os.path.join(HERE, "..", "..",
                                                       "mqttctl", "mqttctl")))
SCALE = float(os.environ.get("KMQTT_TIMEOUT_SCALE", "1") or 1)
GUARD = 30 * SCALE
ONLY = os.environ.get("KMQTT_TEST", "")
PROC = "/proc/net/kmqtt"


def skip_all(reason):
    print("TAP version 13")
    print("1..0 # SKIP " + reason)
    sys.exit(4)


def require_kmqtt():
    if os.environ.get("KMQTT_BROKER", "kmqtt") != "kmqtt":
        skip_all("kmqtt only (broker=%s)" % os.environ.get("KMQTT_BROKER"))
    if not os.path.isdir(PROC):
        skip_all("kmqtt is not loaded (no %s)" % PROC)
    if os.geteuid() != 0:
        skip_all("needs root (CAP_NET_ADMIN)")
    if not os.access(MQTTCTL, os.X_OK):
        skip_all("%s not built (make -C mqttctl)" % MQTTCTL)


class Tap:
    """Runs named cases, prints TAP 13, exits 1 if any failed."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        print("TAP version 13", flush=True)

    def case(self, name, fn):
        import fnmatch
        if ONLY and not fnmatch.fnmatch(name, ONLY):
            return
        self.n += 1
        try:
            fn()
        except Skip as e:
            print("ok %d %s # SKIP %s" % (self.n, name, e), flush=True)
            return
        except Exception:
            self.failed += 1
            print("not ok %d %s" % (self.n, name))
            for line in traceback.format_exc().splitlines():
                print("# " + line)
            sys.stdout.flush()
            return
        print("ok %d %s" % (self.n, name), flush=True)

    def done(self):
        print("1..%d" % self.n)
        print("# %d failed" % self.failed, flush=True)
        sys.exit(1 if self.failed else 0)


class Skip(Exception):
    pass


def check(cond, what, *info):
    if not cond:
        raise AssertionError(what + ("" if not info else ": " +
                                     " ".join(str(i) for i in info)))


def ctl(*args, ok=True, stdin=None, prefix=()):
    """Run mqttctl; returns (status, stdout, stderr)."""
    p = subprocess.run(list(prefix) + [MQTTCTL] + [str(a) for a in args],
                       input=stdin, capture_output=True, text=True,
                       timeout=GUARD)
    if ok and p.returncode != 0:
        raise AssertionError("mqttctl %s failed (%d): %s" %
                             (" ".join(map(str, args)), p.returncode,
                              p.stderr.strip()))
    return p.returncode, p.stdout, p.stderr


def stats():
    out = {}
    with open(PROC + "/stats") as f:
        for line in f:
            k, v = line.split()
            out[k] = int(v)
    return out


def wait_for(pred, what):
    """Poll @pred until true; a hang guard, not a timing assertion."""
    end = time.monotonic() + GUARD
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("gave up waiting for " + what)


class Saved:
    """The running configuration, restored at exit by every test."""

    def __init__(self):
        self.path = os.path.join(os.environ.get("KMQTT_OUT", "/tmp"),
                                 "ctl-saved-%d.conf" % os.getpid())
        _, out, _ = ctl("show")
        with open(self.path, "w") as f:
            f.write(out)

    def restore(self):
        ctl("apply", self.path)


def enc_len(n):
    out = b""
    while True:
        b = n % 128
        n //= 128
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def enc_str(s):
    if isinstance(s, str):
        s = s.encode()
    return struct.pack("!H", len(s)) + s


class Closed(Exception):
    pass


class Client:
    """MQTT 3.1.1 over a raw socket; counts bytes both ways."""

    def __init__(self, client_id, host=HOST, port=PORT, family=None):
        self.id = client_id
        if family is None:
            self.s = socket.create_connection((host, port), timeout=GUARD)
        else:
            self.s = socket.socket(family, socket.SOCK_STREAM)
            self.s.settimeout(GUARD)
            self.s.connect((host, port))
        self.sent = 0
        self.received = 0
        self.buf = b""
        self.pid = 1
        self.inbox = []

    def send(self, data):
        self.s.sendall(data)
        self.sent += len(data)

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise Closed("connection closed by the broker")
        self.received += len(d)
        self.buf += d

    def read_packet(self):
        while True:
            if len(self.buf) >= 2:
                mult, n, i = 1, 0, 1
                while i < len(self.buf):
                    b = self.buf[i]
                    n += (b & 127) * mult
                    mult *= 128
                    i += 1
                    if not b & 128:
                        break
                else:
                    i = None
                if i is not None and len(self.buf) >= i + n:
                    t = self.buf[0]
                    body = self.buf[i:i + n]
                    self.buf = self.buf[i + n:]
                    return t >> 4, t & 15, body
            self._fill()

    def connect(self, user=None, password=None, clean=True, keepalive=60):
        flags = 2 if clean else 0
        payload = enc_str(self.id)
        if user is not None:
            flags |= 0x80
            payload += enc_str(user)
        if password is not None:
            flags |= 0x40
            payload += enc_str(password)
        var = enc_str("MQTT") + bytes([4, flags]) + struct.pack("!H",
                                                                  keepalive)
        body = var + payload
        self.send(bytes([0x10]) + enc_len(len(body)) + body)
        t, _, body = self.read_packet()
        check(t == 2, "expected CONNACK", t)
        return body[1]

    def subscribe(self, *filters):
        """filters: (filter, qos) pairs; returns the SUBACK codes."""
        pid = self._pid()
        body = struct.pack("!H", pid)
        for f, q in filters:
            body += enc_str(f) + bytes([q])
        self.send(bytes([0x82]) + enc_len(len(body)) + body)
        while True:
            t, _, b = self.read_packet()
            if t == 9:
                return list(b[2:])
            self._keep(t, _, b)

    def publish(self, topic, payload=b"", qos=0, retain=False):
        if isinstance(payload, str):
            payload = payload.encode()
        body = enc_str(topic)
        if qos:
            pid = self._pid()
            body += struct.pack("!H", pid)
        body += payload
        self.send(bytes([0x30 | qos << 1 | (1 if retain else 0)]) +
                  enc_len(len(body)) + body)
        if qos == 1:
            while True:
                t, f, b = self.read_packet()
                if t == 4:
                    return
                self._keep(t, f, b)

    def ping(self):
        self.send(b"\xc0\x00")
        while True:
            t, f, b = self.read_packet()
            if t == 13:
                return
            self._keep(t, f, b)

    def _pid(self):
        self.pid = self.pid % 65535 + 1
        return self.pid

    def _keep(self, t, f, b):
        if t != 3:
            return
        qos = (f >> 1) & 3
        tl = struct.unpack("!H", b[:2])[0]
        topic = b[2:2 + tl].decode()
        rest = b[2 + tl:]
        if qos:
            pid = rest[:2]
            rest = rest[2:]
            if qos == 1:
                self.send(b"\x40\x02" + pid)
        self.inbox.append((topic, rest, qos, bool(f & 1)))

    def next_message(self):
        """The next PUBLISH (topic, payload, qos, retain)."""
        while not self.inbox:
            t, f, b = self.read_packet()
            self._keep(t, f, b)
        return self.inbox.pop(0)

    def until(self, topic):
        """Messages received up to and including the one on @topic."""
        got = []
        while True:
            m = self.next_message()
            got.append(m)
            if m[0] == topic:
                return got

    def disconnect(self):
        """DISCONNECT, then wait for the broker to close (a hang guard)."""
        try:
            self.send(b"\xe0\x00")
            self.wait_closed()
        finally:
            self.close()

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def wait_closed(self):
        """True once the broker closed the connection (hang guard)."""
        try:
            while True:
                self.read_packet()
        except (Closed, ConnectionResetError):
            return True
