#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Control-plane settings really act on MQTT traffic (TAP 13).

ACLs stop denied publishes, subscriptions and deliveries, and count them;
user passwords are checked; retained limits cap the store; a listener added
on a second port serves clients and removing it closes them; kicking a
client closes it; limits change without dropping anyone; $SYS topics are
published; /proc/net/kmqtt and netlink figures agree with the traffic sent.

Runs as root in the VM with kmqtt loaded; restores the configuration it
found. KMQTT_TEST=GLOB runs only the matching cases.
"""
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctl_lib import (Client, Closed, Saved, Skip, Tap, check, ctl, GUARD,  # noqa: E402
                     HOST, PORT, PROC, require_kmqtt, stats, wait_for)

PORT2 = int(os.environ.get("KMQTT_CTL_PORT2", "18840"))


def quiet_broker():
    """No other client of ours is connected (earlier cases closed theirs)."""
    wait_for(lambda: stats()["connections_now"] == 0, "connections to close")


def test_proc_agrees():
    quiet_broker()
    s0 = stats()
    sub = Client("ctl-proc-sub")
    check(sub.connect() == 0, "CONNACK")
    check(sub.subscribe(("ctl/proc/#", 1)) == [1], "SUBACK")
    pub = Client("ctl-proc-pub")
    check(pub.connect() == 0, "CONNACK")
    for i in range(25):
        pub.publish("ctl/proc/q0", b"x" * 100, qos=0)
    for i in range(5):
        pub.publish("ctl/proc/q1", b"y" * 50, qos=1)
    pub.publish("ctl/proc/end", b"", qos=1)
    got = sub.until("ctl/proc/end")
    check(len(got) == 31, "subscriber got", len(got))

    # The session table while both are connected.
    with open(PROC + "/clients") as f:
        rows = [line.split() for line in f][1:]
    ids = {r[0]: r for r in rows}
    check("ctl-proc-sub" in ids and "ctl-proc-pub" in ids, "/proc clients",
          rows)
    check(ids["ctl-proc-sub"][7] == "1", "subscriptions of the subscriber",
          ids["ctl-proc-sub"])
    _, out, _ = ctl("-j", "client", "list")
    js = {c["id"]: c for c in json.loads(out)}
    check(js["ctl-proc-pub"]["msgs_in"] == 31, "msgs_in of the publisher",
          js["ctl-proc-pub"])
    check(js["ctl-proc-sub"]["subscriptions"] == 1, "client list subs")
    check(js["ctl-proc-pub"]["connected"] is True, "connected flag")

    pub.disconnect()
    sub.disconnect()
    quiet_broker()
    s1 = stats()
    d = {k: s1[k] - s0[k] for k in s0}
    check(d["msgs_in_qos0"] == 25, "msgs_in_qos0", d["msgs_in_qos0"])
    check(d["msgs_in_qos1"] == 6, "msgs_in_qos1", d["msgs_in_qos1"])
    check(d["msgs_out_qos0"] == 25, "msgs_out_qos0", d["msgs_out_qos0"])
    check(d["msgs_out_qos1"] == 6, "msgs_out_qos1", d["msgs_out_qos1"])
    check(d["connects"] == 2, "connects", d["connects"])
    check(d["connections_total"] == 2, "connections_total",
          d["connections_total"])
    check(d["bytes_in"] == pub.sent + sub.sent, "bytes_in", d["bytes_in"],
          "sent", pub.sent + sub.sent)
    check(d["bytes_out"] == pub.received + sub.received, "bytes_out",
          d["bytes_out"], "received", pub.received + sub.received)

    # Netlink and /proc report the same numbers at a quiet moment.
    _, out, _ = ctl("-j", "stats")
    nl = json.loads(out)
    s2 = stats()
    for k in ("msgs_in_qos0", "msgs_out_qos1", "bytes_in", "bytes_out",
              "connects", "retained_count", "listeners"):
        check(nl[k] == s2[k], "netlink %s" % k, nl[k], "/proc", s2[k])


def test_acl_publish_denied():
    ctl("acl", "flush")
    ctl("acl", "add", "topic", "read", "ctl/acl/#")
    ctl("acl", "add", "topic", "readwrite", "ctl/acl/open/#")
    sub = Client("ctl-acl-sub")
    check(sub.connect() == 0, "CONNACK")
    check(sub.subscribe(("ctl/acl/#", 0)) == [0], "SUBACK")
    pub = Client("ctl-acl-pub")
    check(pub.connect() == 0, "CONNACK")
    s0 = stats()
    pub.publish("ctl/acl/closed/x", "denied", qos=1)
    pub.publish("ctl/acl/open/marker", "m", qos=1)
    got = sub.until("ctl/acl/open/marker")
    check([m[0] for m in got] == ["ctl/acl/open/marker"],
          "only the marker arrives", got)
    check(stats()["dropped_acl"] - s0["dropped_acl"] == 1, "dropped_acl +1")
    pub.disconnect()
    sub.disconnect()


def test_acl_subscribe_denied():
    ctl("acl", "flush")
    ctl("acl", "add", "topic", "readwrite", "ctl/acl/#")
    ctl("acl", "add", "topic", "deny", "ctl/acl/secret/#")
    c = Client("ctl-acl-sub2")
    check(c.connect() == 0, "CONNACK")
    s0 = stats()
    codes = c.subscribe(("ctl/acl/secret/#", 0), ("ctl/acl/open/#", 0))
    check(codes == [0x80, 0], "SUBACK codes", codes)
    check(stats()["subscribe_denied"] - s0["subscribe_denied"] == 1,
          "subscribe_denied +1")
    c.disconnect()


def test_acl_delivery_denied():
    ctl("acl", "flush")
    ctl("acl", "add", "topic", "readwrite", "ctl/acl/open/#")
    ctl("acl", "add", "topic", "write", "ctl/acl/wo/#")
    sub = Client("ctl-acl-sub3")
    check(sub.connect() == 0, "CONNACK")
    check(sub.subscribe(("ctl/acl/#", 0)) == [0], "SUBACK")
    pub = Client("ctl-acl-pub3")
    check(pub.connect() == 0, "CONNACK")
    pub.publish("ctl/acl/wo/x", "write-only", qos=1)
    pub.publish("ctl/acl/open/marker", "m", qos=1)
    got = sub.until("ctl/acl/open/marker")
    check(len(got) == 1, "write-only topic not delivered", got)
    pub.disconnect()
    sub.disconnect()


def test_acl_applies_to_connected_clients():
    ctl("acl", "flush")
    sub = Client("ctl-acl-live-sub")
    check(sub.connect() == 0, "CONNACK")
    check(sub.subscribe(("ctl/live/#", 0)) == [0], "SUBACK")
    pub = Client("ctl-acl-live-pub")
    check(pub.connect() == 0, "CONNACK")
    pub.publish("ctl/live/a", "1", qos=1)
    check(sub.next_message()[0] == "ctl/live/a", "delivered without ACL")
    path = os.path.join(os.environ.get("KMQTT_OUT", "/tmp"), "ctl-acl.txt")
    with open(path, "w") as f:
        f.write("# mosquitto acl_file\ntopic read ctl/live/#\n"
                "topic readwrite ctl/live/marker\n")
    ctl("acl", "load", path)
    pub.publish("ctl/live/b", "2", qos=1)
    pub.publish("ctl/live/marker", "m", qos=1)
    got = sub.until("ctl/live/marker")
    check(len(got) == 1, "publish stopped at once", got)
    ctl("acl", "flush")
    pub.publish("ctl/live/c", "3", qos=1)
    check(sub.next_message()[0] == "ctl/live/c", "allowed again")
    pub.disconnect()
    sub.disconnect()


def test_users_and_user_acl():
    subprocess.run(["modprobe", "-q", "sha512_generic"], capture_output=True)
    ctl("acl", "flush")
    ctl("user", "add", "ctl-alice", "--password", "alice-pw")
    ctl("user", "add", "ctl-bob", "--password", "bob-pw", "--iterations",
        "10")
    ctl("acl", "add", "user", "ctl-alice", "topic", "readwrite",
        "ctl/u/alice/#")
    ctl("acl", "add", "pattern", "readwrite", "ctl/p/%c/#")
    ctl("acl", "add", "pattern", "read", "ctl/u/#")
    ctl("acl", "add", "pattern", "read", "ctl/p/#")
    s0 = stats()
    bad = Client("ctl-u-bad")
    check(bad.connect("ctl-alice", "wrong") == 4, "wrong password refused")
    bad.close()
    none = Client("ctl-u-none")
    check(none.connect("ctl-nobody", "x") == 4, "unknown user refused")
    none.close()
    check(stats()["auth_failures"] - s0["auth_failures"] == 2,
          "auth_failures +2")
    a = Client("ctl-alice-dev")
    check(a.connect("ctl-alice", "alice-pw") == 0, "alice connects")
    check(a.subscribe(("ctl/u/#", 0)) == [0], "alice SUBACK")
    b = Client("ctl-bob-dev")
    check(b.connect("ctl-bob", "bob-pw") == 0, "bob connects")
    s0 = stats()
    b.publish("ctl/u/alice/x", "bob may not", qos=1)
    a.publish("ctl/u/alice/y", "alice may", qos=1)
    got = a.until("ctl/u/alice/y")
    check(len(got) == 1, "bob's publish to alice's topic denied", got)
    check(stats()["dropped_acl"] - s0["dropped_acl"] == 1, "dropped_acl +1")
    # Pattern %c: a device writes under its own client id only.
    check(b.subscribe(("ctl/p/#", 0)) == [0], "bob SUBACK")
    a.publish("ctl/p/ctl-bob-dev/x", "not alice's", qos=1)
    a.publish("ctl/p/ctl-alice-dev/x", "alice's own", qos=1)
    got = b.until("ctl/p/ctl-alice-dev/x")
    check(len(got) == 1, "%c pattern", got)
    a.disconnect()
    b.disconnect()
    ctl("user", "del", "ctl-bob")
    ctl("user", "del", "ctl-alice")
    ctl("acl", "flush")


def test_retained_limit_caps_store():
    ctl("retained", "del", "ctl/ret/#")
    base = stats()["retained_count"]
    ctl("limit", "set", "retained-max", base + 3)
    s0 = stats()
    pub = Client("ctl-ret-pub")
    check(pub.connect() == 0, "CONNACK")
    for i in range(6):
        pub.publish("ctl/ret/%d" % i, "r%d" % i, qos=1, retain=True)
    pub.disconnect()
    s1 = stats()
    check(s1["retained_count"] == base + 3, "store capped",
          s1["retained_count"], base + 3)
    check(s1["retain_refused"] - s0["retain_refused"] == 3, "retain_refused")
    _, out, _ = ctl("-j", "retained", "list", "ctl/ret/#")
    check(len(json.loads(out)) == 3, "retained list", out)
    sub = Client("ctl-ret-sub")
    check(sub.connect() == 0, "CONNACK")
    sub.subscribe(("ctl/ret/#", 0), ("ctl/ret-marker", 0))
    sub.publish("ctl/ret-marker", "m")
    got = sub.until("ctl/ret-marker")
    check(len([m for m in got if m[3]]) == 3, "3 retained on subscribe", got)
    sub.disconnect()
    _, out, _ = ctl("retained", "del", "ctl/ret/#")
    check(out.strip() == "deleted 3", "retained del", out)
    check(stats()["retained_count"] == base, "store back to its size")


def test_second_listener():
    ctl("listener", "add", "127.0.0.1", PORT2)
    _, out, _ = ctl("-j", "listener", "list")
    check({"family": "inet", "address": "127.0.0.1", "port": PORT2,
           "accepted": 0} in json.loads(out), "listed", out)
    c = Client("ctl-port2", port=PORT2)
    check(c.connect() == 0, "CONNACK on the second port")
    check(c.subscribe(("ctl/port2", 0)) == [0], "SUBACK")
    p = Client("ctl-port1")
    check(p.connect() == 0, "CONNACK on the first port")
    p.publish("ctl/port2", "across listeners", qos=1)
    check(c.next_message()[1] == b"across listeners", "delivered")
    ctl("listener", "del", "127.0.0.1", PORT2)
    check(c.wait_closed(), "its client was closed")
    p.ping()
    p.disconnect()
    try:
        Client("ctl-port2-late", port=PORT2)
        raise AssertionError("connect after removal succeeded")
    except ConnectionRefusedError:
        pass


def test_port_in_use():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", PORT2 + 1))
    srv.listen(1)
    st, _, err = ctl("listener", "add", "127.0.0.1", PORT2 + 1, ok=False)
    srv.close()
    check(st == 1 and "port in use" in err, "port in use", st, err)


def test_kick_and_del():
    c = Client("ctl-kick-me")
    check(c.connect() == 0, "CONNACK")
    ctl("client", "kick", "ctl-kick-me")
    check(c.wait_closed(), "kicked client closed")
    p = Client("ctl-persistent")
    check(p.connect(clean=False) == 0, "CONNACK")
    p.subscribe(("ctl/persist", 1))
    p.disconnect()
    _, out, _ = ctl("-j", "client", "list")
    check("ctl-persistent" in [x["id"] for x in json.loads(out)],
          "offline session listed", out)
    ctl("client", "del", "ctl-persistent")
    _, out, _ = ctl("-j", "client", "list")
    check("ctl-persistent" not in [x["id"] for x in json.loads(out)],
          "session deleted", out)
    st, _, err = ctl("client", "kick", "ctl-nobody", ok=False)
    check(st == 1 and "no connected client" in err, "kick unknown", err)


def test_limits_keep_clients():
    c = Client("ctl-limits")
    check(c.connect() == 0, "CONNACK")
    ctl("limit", "set", "max-inflight", 5, "max-queued", 50,
        "max-keepalive", 600, "max-packet-size", "64k")
    c.ping()
    _, out, _ = ctl("-j", "limit", "show")
    lim = json.loads(out)
    check(lim["max-inflight"] == 5 and lim["max-packet-size"] == 65536,
          "limits set", lim)
    # The new packet size applies to the connected client at once.
    c.publish("ctl/big", b"z" * 70000)
    check(c.wait_closed(), "oversized frame closes the connection")


def test_max_connections():
    quiet_broker()
    ctl("limit", "set", "max-connections", 1)
    a = Client("ctl-mc-a")
    check(a.connect() == 0, "first connection")
    s0 = stats()
    try:
        b = Client("ctl-mc-b")
        try:
            rc = b.connect()
            check(rc != 0, "second connection refused", rc)
        except (Closed, ConnectionResetError, BrokenPipeError):
            pass
        b.close()
    except ConnectionRefusedError:
        pass
    check(stats()["conn_limit"] - s0["conn_limit"] >= 1, "conn_limit")
    a.disconnect()
    ctl("limit", "set", "max-connections", 0)


def test_sys_topics():
    ctl("limit", "set", "sys-interval", 1)
    c = Client("ctl-sys")
    check(c.connect() == 0, "CONNACK")
    c.subscribe(("$SYS/broker/version", 0), ("$SYS/broker/clients/connected",
                                              0))
    seen = {}
    while len(seen) < 2:
        t, p, _, _ = c.next_message()
        seen[t] = p.decode()
    check(seen["$SYS/broker/version"].startswith("kmqtt version"),
          "version", seen)
    check(int(seen["$SYS/broker/clients/connected"]) >= 0, "connected")
    # Loads appear after the second interval.
    c.subscribe(("$SYS/broker/load/messages/received/1min", 0))
    t, p, _, _ = c.next_message()
    float(p.decode())
    c.disconnect()


def main():
    require_kmqtt()
    saved = Saved()
    tap = Tap()
    try:
        for name, fn in [
            ("proc and netlink figures agree with the traffic",
             test_proc_agrees),
            ("ACL denies a publish and counts it", test_acl_publish_denied),
            ("ACL denies a subscribe and counts it",
             test_acl_subscribe_denied),
            ("ACL without read stops delivery", test_acl_delivery_denied),
            ("ACL changes apply to connected clients",
             test_acl_applies_to_connected_clients),
            ("users, passwords, user and %c rules", test_users_and_user_acl),
            ("retained-max caps the store", test_retained_limit_caps_store),
            ("second listener serves and its removal closes clients",
             test_second_listener),
            ("listener add on a port in use", test_port_in_use),
            ("client kick and client del", test_kick_and_del),
            ("limit changes keep clients and apply at once",
             test_limits_keep_clients),
            ("max-connections", test_max_connections),
            ("$SYS topics", test_sys_topics),
        ]:
            tap.case(name, fn)
            try:
                saved.restore()
            except Exception as e:
                print("# restore failed: %s" % e)
    finally:
        saved.restore()
    tap.done()


if __name__ == "__main__":
    main()
