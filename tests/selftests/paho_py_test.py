#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Protocol features exercised with a real third-party client: Eclipse Paho
# for Python (python3-paho-mqtt, the 1.6 API Debian 12 ships).  All cases
# run in one process because python3 takes seconds to start in the TCG
# guest.  Output: TAP 13 (README.md).  Exit 0 pass, 1 failure, 4 all skipped.
#
#   ./paho_py_test.py [-l] [NAME_GLOB...]      (or KMQTT_TEST=NAME_GLOB)
#
# Paho clients are driven by explicit loop() calls (never loop_start()), so
# nothing reconnects behind a test's back and takeovers stay observable.

import collections
import fnmatch
import os
import signal
import socket
import sys
import time
import traceback

HOST = os.environ.get("KMQTT_HOST") or "127.0.0.1"
PORT = int(os.environ.get("KMQTT_PORT") or 1883)
BROKER = os.environ.get("KMQTT_BROKER") or "kmqtt"
SCALE = max(1, int(os.environ.get("KMQTT_TIMEOUT_SCALE") or 1))
WAIT = 10.0 * SCALE          # for things that must happen
CASE_TIMEOUT = 120 * SCALE   # whole test case

try:
    import paho.mqtt.client as mqtt
except ImportError:  # reported as a skip of every case below
    mqtt = None

UNIQ = "%x%03x" % (os.getpid() & 0xfffff, int(time.time() * 1000) & 0xfff)
_seq = [0]


def uid(tag):
    _seq[0] += 1
    return "%s%s%d" % (tag, UNIQ, _seq[0])


def topic(leaf):
    return "kst/%s/py/%s" % (UNIQ, leaf)


class Skip(Exception):
    pass


class Timeout(Exception):
    pass


_live = []   # every connected Cli, pumped together


class Cli:
    """A paho client with a received-message queue, pumped by hand."""

    def __init__(self, cid=None, clean=True, proto=None, keepalive=60,
                 will=None, user=None, password=None, connect=True):
        self.cid = uid("y") if cid is None else cid
        self.c = mqtt.Client(client_id=self.cid, clean_session=clean,
                             protocol=proto or mqtt.MQTTv311)
        self.msgs = collections.deque()
        self.rc = None
        self.flags = None
        self.disconnected = None
        self.subacks = {}
        self.unsubacks = set()
        self.keepalive = keepalive
        self.c.on_connect = self._on_connect
        self.c.on_disconnect = self._on_disconnect
        self.c.on_message = lambda c, u, m: self.msgs.append(m)
        self.c.on_subscribe = lambda c, u, mid, g: self.subacks.__setitem__(mid, g)
        self.c.on_unsubscribe = lambda c, u, mid: self.unsubacks.add(mid)
        if will:
            self.c.will_set(*will)
        if user is not None:
            self.c.username_pw_set(user, password)
        if connect:
            self.connect()

    def _on_connect(self, c, u, flags, rc):
        self.rc, self.flags = rc, flags

    def _on_disconnect(self, c, u, rc):
        self.disconnected = rc

    def connect(self):
        self.rc = None
        self.disconnected = None
        self.c.connect(HOST, PORT, self.keepalive)
        _live.append(self)
        pump(lambda: self.rc is not None or self.disconnected is not None)
        assert self.rc == 0, "CONNACK rc %s for %s" % (self.rc, self.cid)
        return self

    @property
    def session_present(self):
        return self.flags.get("session present")

    def sub(self, filt, qos=0):
        """Subscribe (a filter or a list of (filter, qos)); granted QoS."""
        res, mid = self.c.subscribe(filt, qos)
        assert res == mqtt.MQTT_ERR_SUCCESS, res
        pump(lambda: mid in self.subacks)
        return list(self.subacks[mid])

    def unsub(self, filt):
        res, mid = self.c.unsubscribe(filt)
        assert res == mqtt.MQTT_ERR_SUCCESS, res
        pump(lambda: mid in self.unsubacks)

    def pub(self, t, payload, qos=0, retain=False):
        info = self.c.publish(t, payload, qos, retain)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS, info.rc
        pump(info.is_published)

    def recv(self, timeout=None):
        pump(lambda: self.msgs, timeout)
        return self.msgs.popleft()

    def until(self, marker):
        """Messages received before the one whose payload is @marker."""
        got = []
        while True:
            m = self.recv()
            if m.payload == marker:
                return got
            got.append(m)

    def close(self, clean=True):
        if self in _live:
            _live.remove(self)
        if clean and self.disconnected is None:
            self.c.disconnect()
            self.c.loop(0.01)
        sock = self.c.socket()
        if sock:
            sock.close()

    def drop(self):
        """Close the TCP connection without DISCONNECT."""
        sock = self.c.socket()
        if self in _live:
            _live.remove(self)
        if sock:
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def pump(pred, timeout=None):
    """Run every live client's loop until pred() is true."""
    deadline = time.monotonic() + (timeout or WAIT)
    while True:
        if pred():
            return
        if time.monotonic() > deadline:
            raise Timeout("timed out waiting for %s" % getattr(pred, "__name__", "condition"))
        for cl in list(_live):
            rc = cl.c.loop(0.005)
            if rc != mqtt.MQTT_ERR_SUCCESS and cl in _live:
                _live.remove(cl)
                if cl.disconnected is None:
                    cl.disconnected = rc


def pump_for(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for cl in list(_live):
            cl.c.loop(0.02)
        if not _live:
            time.sleep(0.02)


def publish_once(t, payload, qos=1, retain=False):
    p = Cli()
    p.pub(t, payload, qos, retain)
    p.close()


def close_all():
    for cl in list(_live):
        try:
            cl.close()
        except Exception:
            pass
    del _live[:]


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


# ---- tests ----------------------------------------------------------------

@test
def qos_both_directions():
    """Publish at QoS 0/1/2 from paho to paho; delivered at min(pub, granted)."""
    s, p = Cli(), Cli()
    for g in range(3):
        assert s.sub(topic("q/%d" % g), g) == [g]
    for g in range(3):
        for q in range(3):
            p.pub(topic("q/%d" % g), b"g%dq%d" % (g, q), q)
            m = s.recv()
            assert m.topic == topic("q/%d" % g), m.topic
            assert m.payload == b"g%dq%d" % (g, q), m.payload
            assert m.qos == min(g, q), (m.qos, g, q)
            assert not m.retain


@test
def subscribe_many_filters_granted():
    s = Cli()
    granted = s.sub([(topic("m/a"), 2), (topic("m/b"), 0), (topic("m/c"), 1)])
    assert granted == [2, 0, 1], granted


@test
def wildcard_matching():
    """+ and # semantics (spec 4.7) under a private prefix."""
    base = topic("wc")
    topics = ["", "/a", "/a/b", "/a/b/c", "/a/", "//x", "/x/y/temp",
              "/sport", "/sport/tennis", "/sport/tennis/p1",
              "/sport/tennis/p1/rank"]
    cases = {                       # filter suffix -> topic suffixes matched
        "/#": topics,               # '#' includes the parent level itself
        "/a/#": ["/a", "/a/b", "/a/b/c", "/a/"],
        "/a/+": ["/a/b", "/a/"],
        "/+": ["/a", "/sport"],
        "/+/+": ["/a/b", "/a/", "//x", "/sport/tennis"],
        "/+/x": ["//x"],
        "/+/+/temp": ["/x/y/temp"],
        "/sport/tennis/p1/#": ["/sport/tennis/p1", "/sport/tennis/p1/rank"],
        "/sport/+/p1": ["/sport/tennis/p1"],
        "/a/b": ["/a/b"],
        "+": [],                    # only one level: never our prefix
    }
    clients = {}
    for i, f in enumerate(cases):
        c = Cli()
        filt = base + f if f != "+" else "+"
        c.sub([(filt, 1), (base + "-mark/%d" % i, 1)])
        clients[f] = (c, i)
    p = Cli()
    for t in topics:
        p.pub(base + t, (base + t).encode(), 1)
    for f, (c, i) in clients.items():
        p.pub(base + "-mark/%d" % i, b"marker", 1)
    for f, (c, i) in clients.items():
        # Only our topics count: "+" may also see other tests' retained ones.
        got = sorted(m.topic for m in c.until(b"marker")
                     if m.topic.startswith(base + "/") or m.topic == base)
        want = sorted(base + t for t in cases[f])
        assert got == want, "filter %r: got %r want %r" % (f, got, want)


@test
def dollar_topics_not_matched_by_wildcards():
    dt = "$kst%s/py/x" % UNIQ
    wild, plus, dollar = Cli(), Cli(), Cli()
    wild.sub("#", 1)
    plus.sub([("+/py/x", 1), ("+/+/+", 1)])
    dollar.sub("$kst%s/#" % UNIQ, 1)
    for c in (wild, plus):
        c.sub(topic("dmark"), 1)
    p = Cli()
    p.pub(dt, b"dollar", 1)
    p.pub(topic("dmark"), b"marker", 1)
    for c in (wild, plus):
        leaked = [m.topic for m in c.until(b"marker") if m.topic.startswith("$")]
        assert not leaked, leaked
    m = dollar.recv()
    assert (m.topic, m.payload) == (dt, b"dollar"), (m.topic, m.payload)


@test
def overlapping_subscriptions():
    s = Cli()
    s.sub([(topic("ov/#"), 2), (topic("ov/+"), 0)])
    p = Cli()
    p.pub(topic("ov/x"), b"m", 2)
    p.pub(topic("ov/x"), b"marker", 2)
    got = s.until(b"marker")
    assert len(got) == 1, "%d copies" % len(got)
    if BROKER != "mosquitto":
        # Mosquitto 2.0.11 may pick a lower QoS (see raw_protocol.c).
        assert got[0].qos == 2, got[0].qos


@test
def resubscribe_replaces_qos():
    s = Cli()
    assert s.sub(topic("rs"), 0) == [0]
    assert s.sub(topic("rs"), 1) == [1]
    publish_once(topic("rs"), b"m", 2)
    m = s.recv()
    assert m.qos == 1, m.qos
    s.pub(topic("rs"), b"marker", 1)
    assert s.until(b"marker") == []


@test
def unsubscribe():
    s = Cli()
    s.sub([(topic("un"), 1), (topic("unmark"), 1)])
    s.unsub(topic("un"))
    p = Cli()
    p.pub(topic("un"), b"x", 1)
    p.pub(topic("unmark"), b"marker", 1)
    assert s.until(b"marker") == []


@test
def retained_store_replace_delete():
    t = topic("ret")
    p = Cli()
    p.pub(t, b"r1", 1, retain=True)
    a = Cli()
    a.sub(t, 1)
    m = a.recv()
    assert (m.payload, m.retain, m.qos) == (b"r1", 1, 1), (m.payload, m.retain, m.qos)
    p.pub(t, b"r2", 0, retain=True)
    m = a.recv()
    assert (m.payload, m.retain) == (b"r2", 0), (m.payload, m.retain)
    b = Cli()
    b.sub(t, 2)
    m = b.recv()
    assert (m.payload, m.retain, m.qos) == (b"r2", 1, 0), (m.payload, m.retain, m.qos)
    p.pub(t, b"", 1, retain=True)
    m = a.recv()
    assert (m.payload, m.retain) == (b"", 0), (m.payload, m.retain)
    c = Cli()
    c.sub(t, 1)
    p.pub(t, b"marker", 1)
    assert c.until(b"marker") == []


@test
def retained_on_wildcard_subscribe():
    base = topic("rw")
    for i in range(5):
        publish_once("%s/%d" % (base, i), b"v%d" % i, 1, retain=True)
    s = Cli()
    s.sub(base + "/#", 1)
    got = sorted((s.recv().payload for _ in range(5)))
    assert got == [b"v%d" % i for i in range(5)], got
    for i in range(5):
        publish_once("%s/%d" % (base, i), b"", 0, retain=True)


def _will_child(t, payload, qos, retain, keepalive=60, violate=False):
    """Fork a process that connects with a will and dies abruptly."""
    pid = os.fork()
    if pid == 0:
        del _live[:]         # the parent's clients are not ours to pump
        try:
            c = Cli(will=(t, payload, qos, retain), keepalive=keepalive)
            if violate:
                c.c.socket().send(b"\x36\x03\x00\x01a")   # PUBLISH QoS 3
                time.sleep(0.5)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


@test
def will_on_abrupt_close():
    t = topic("will")
    s = Cli()
    s.sub(t, 2)
    _will_child(t, b"gone", 1, False)
    m = s.recv()
    assert (m.payload, m.qos, m.retain) == (b"gone", 1, 0), (m.payload, m.qos, m.retain)


@test
def will_qos2_retained():
    t = topic("willr")
    s = Cli()
    s.sub(t, 2)
    _will_child(t, b"gone-r", 2, True)
    m = s.recv()
    assert (m.payload, m.qos, m.retain) == (b"gone-r", 2, 0), (m.payload, m.qos, m.retain)
    late = Cli()
    late.sub(t, 2)
    m = late.recv()
    assert (m.payload, m.qos, m.retain) == (b"gone-r", 2, 1), (m.payload, m.qos, m.retain)
    publish_once(t, b"", 0, retain=True)


@test
def will_on_protocol_violation():
    t = topic("willv")
    s = Cli()
    s.sub(t, 1)
    _will_child(t, b"violated", 1, False, violate=True)
    assert s.recv().payload == b"violated"


@test
def will_on_keepalive_timeout():
    t = topic("willk")
    s = Cli()
    s.sub(t, 1)
    w = Cli(will=(t, b"timeout", 1, False), keepalive=2)
    _live.remove(w)          # never pumped again: silent
    m = s.recv(timeout=30 * SCALE)
    assert m.payload == b"timeout", m.payload
    w.c.socket().close()


@test
def no_will_after_disconnect():
    t = topic("willd")
    s = Cli()
    s.sub(t, 1)
    w = Cli(will=(t, b"gone", 1, False))
    w.close()
    time.sleep(0.1)
    publish_once(t, b"marker")
    assert s.until(b"marker") == []


@test
def will_on_takeover():
    t = topic("willt")
    s = Cli()
    s.sub(t, 1)
    cid = uid("wt")
    old = Cli(cid=cid, will=(t, b"taken", 1, False))
    new = Cli(cid=cid)
    pump(lambda: old.disconnected is not None)
    assert s.recv().payload == b"taken"
    new.close()


@test
def takeover_disconnects_old():
    cid = uid("to")
    a = Cli(cid=cid)
    b = Cli(cid=cid)
    pump(lambda: a.disconnected is not None)
    assert b.disconnected is None
    b.sub(topic("to"), 1)
    publish_once(topic("to"), b"b")
    assert b.recv().payload == b"b"


@test
def keepalive_pingreq_keeps_connection():
    # Paho pings after keepalive seconds of silence; the broker allows 1.5x.
    # 4 s leaves a slow guest 2 s of slack.
    c = Cli(keepalive=4)
    c.sub(topic("ka"), 1)
    pump_for(10)
    assert c.disconnected is None, c.disconnected
    publish_once(topic("ka"), b"alive")
    assert c.recv().payload == b"alive"


@test
def persistent_session():
    cid = uid("ps")
    t = topic("ps")
    Cli(cid=cid, clean=True).close()
    c = Cli(cid=cid, clean=False)
    assert not c.session_present
    c.sub(t, 2)
    c.close()
    p = Cli()
    for i in range(4):
        p.pub(t, b"q1-%d" % i, 1)
    for i in range(4):
        p.pub(t, b"q2-%d" % i, 2)
    c = Cli(cid=cid, clean=False)
    assert c.session_present == 1
    got = [c.recv() for _ in range(8)]
    q1 = [m.payload for m in got if m.qos == 1]
    q2 = [m.payload for m in got if m.qos == 2]
    assert q1 == [b"q1-%d" % i for i in range(4)], q1
    assert q2 == [b"q2-%d" % i for i in range(4)], q2
    c.close()
    c = Cli(cid=cid, clean=True)
    assert not c.session_present
    c.close()
    c = Cli(cid=cid, clean=False)
    assert not c.session_present
    c.close()
    Cli(cid=cid, clean=True).close()


@test
def ordering_per_topic():
    s = Cli()
    s.sub(topic("ord/#"), 2)
    p = Cli()
    for q in range(3):
        infos = [p.c.publish(topic("ord/%d" % q), b"%d" % i, q)
                 for i in range(100)]
        pump(lambda: all(i.is_published() for i in infos))
    for q in range(3):
        got = []
        while len(got) < 100:
            m = s.recv()
            if m.topic == topic("ord/%d" % q):
                got.append(int(m.payload))
            else:
                # other QoS streams may interleave; keep them for later
                s.msgs.append(m)
        assert got == list(range(100)), "QoS %d order %r" % (q, got[:20])


@test
def zero_length_client_id_clean():
    c = Cli(cid="", clean=True)
    c.sub(topic("anon"), 1)
    publish_once(topic("anon"), b"x")
    assert c.recv().payload == b"x"


@test
def username_password_accepted():
    Cli(user="kst-user", password="kst-pass").close()
    Cli(user="kst-user").close()


@test
def mqtt31_protocol():
    c = Cli(proto=mqtt.MQTTv31)
    c.sub(topic("v31"), 2)
    publish_once(topic("v31"), b"31", 2)
    m = c.recv()
    assert (m.payload, m.qos) == (b"31", 2)


@test
def empty_and_binary_payloads():
    s = Cli()
    s.sub(topic("bin"), 1)
    data = bytes(range(256)) * 4
    publish_once(topic("bin"), b"")
    publish_once(topic("bin"), data)
    assert s.recv().payload == b""
    assert s.recv().payload == data


# ---- runner -----------------------------------------------------------------

def _alarm(signum, frame):
    raise Timeout("test case took longer than %d s" % CASE_TIMEOUT)


def main(argv):
    pats = [a for a in argv[1:] if not a.startswith("-")]
    if os.environ.get("KMQTT_TEST"):
        pats.append(os.environ["KMQTT_TEST"])
    tests = [t for t in TESTS
             if not pats or any(fnmatch.fnmatch(t.__name__, p) for p in pats)]
    if "-l" in argv:
        for t in tests:
            print(t.__name__)
        return 0
    print("TAP version 13")
    print("1..%d" % len(tests))
    sys.stdout.flush()
    signal.signal(signal.SIGALRM, _alarm)
    fails = skips = 0
    for n, t in enumerate(tests, 1):
        print("#  RUN %s" % t.__name__)
        sys.stdout.flush()
        try:
            if mqtt is None:
                raise Skip("python3-paho-mqtt not installed")
            signal.alarm(CASE_TIMEOUT)
            try:
                t()
            finally:
                signal.alarm(0)
                close_all()
            print("ok %d %s" % (n, t.__name__))
        except Skip as e:
            skips += 1
            print("ok %d %s # SKIP %s" % (n, t.__name__, e))
        except Exception:
            fails += 1
            for line in traceback.format_exc().splitlines():
                print("# " + line)
            print("not ok %d %s" % (n, t.__name__))
        sys.stdout.flush()
    print("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0"
          % (len(tests) - fails - skips, fails, skips))
    if fails:
        return 1
    return 4 if tests and skips == len(tests) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
