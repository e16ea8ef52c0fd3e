#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Malformed generic netlink requests are refused and change nothing (TAP 13).

Sends hand-built "kmqtt" messages on a raw NETLINK_GENERIC socket: missing
attributes, wrong types and lengths, values out of range, oversized strings
and binaries, unknown and output-only attributes, nests without
NLA_F_NESTED, truncated attributes, bad header fields, unknown commands, a
CONFIG_APPLY with one bad element among good ones, a dump with a bad filter,
and a valid request from a uid without CAP_NET_ADMIN. Each must fail with an
error (and, where the kernel can say why, an extended ACK message), and the
running configuration must be exactly as before.
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctl_lib import Tap, check, ctl, require_kmqtt, Saved  # noqa: E402

# <linux/netlink.h>, <linux/genetlink.h>
NETLINK_GENERIC = 16
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLM_F_ACK_TLVS, NLM_F_CAPPED = 0x200, 0x100
NLA_F_NESTED = 1 << 15
SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK = 270, 10, 11
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_MISS_TYPE = 1, 2, 5

# uapi/kmqtt.h (checked against the header below)
CMD = dict(LISTENER_ADD=1, LISTENER_DEL=2, LISTENER_GET=3, LIMIT_SET=4,
           LIMIT_GET=5, USER_ADD=6, USER_DEL=7, USER_GET=8, ACL_SET=9,
           ACL_GET=10, CLIENT_GET=11, CLIENT_KICK=12, RETAINED_GET=13,
           RETAINED_DEL=14, STATS_GET=15, CONFIG_APPLY=16)
A_LISTENER, A_LISTENERS, A_LIMITS, A_USER, A_USERS = 2, 3, 4, 5, 6
A_ACL_RULE, A_ACL_RULES, A_CLIENT, A_CLIENT_ID = 7, 8, 9, 10
A_RETAINED, A_TOPIC, A_FILTER, A_COUNT, A_STATS = 11, 12, 13, 14, 15
L_FAMILY, L_ADDR, L_PORT = 2, 3, 4
LIM_MAX_PACKET_SIZE, LIM_MAX_INFLIGHT, LIM_ALLOW_ANONYMOUS = 3, 4, 14
U_NAME, U_PASSWORD, U_HASH, U_ITERATIONS = 1, 2, 3, 4
ACL_KIND, ACL_ACCESS, ACL_USER, ACL_FILTER = 1, 2, 3, 4
EINVAL, ERANGE, EPERM, EOPNOTSUPP = 22, 34, 1, 95
EAFNOSUPPORT = 97


def check_uapi():
    """The numbers above are the header's."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "uapi", "kmqtt.h")
    if not os.path.exists(path):
        return
    text = open(path).read()
    order = ["KMQTT_CMD_UNSPEC"] + ["KMQTT_CMD_" + k for k in CMD]
    pos = [text.index(n + ",") for n in order]
    check(pos == sorted(pos), "command order matches uapi/kmqtt.h")


def pad(b):
    return b + b"\0" * (-len(b) % 4)


def attr(t, payload):
    return pad(struct.pack("=HH", 4 + len(payload), t) + payload)


def nest(t, *children):
    return attr(t | NLA_F_NESTED, b"".join(children))


def u8(t, v):
    return attr(t, struct.pack("=B", v))


def u16(t, v):
    return attr(t, struct.pack("=H", v))


def u32(t, v):
    return attr(t, struct.pack("=I", v))


def s(t, v):
    return attr(t, v.encode() + b"\0")


class Genl:
    def __init__(self):
        self.sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                NETLINK_GENERIC)
        self.sk.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sk.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sk.bind((0, 0))
        self.seq = 1
        err, _, replies = self.raw(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                                   s(CTRL_ATTR_FAMILY_NAME, "kmqtt"))
        check(err == 0 and replies, "resolve the kmqtt family", err)
        self.family = None
        body = replies[0][4:]
        while len(body) >= 4:
            ln, t = struct.unpack("=HH", body[:4])
            if t == CTRL_ATTR_FAMILY_ID:
                self.family = struct.unpack("=H", body[4:6])[0]
            body = body[(ln + 3) & ~3:]
        check(self.family, "family id")

    def raw(self, typ, cmd, attrs=b"", flags=NLM_F_REQUEST | NLM_F_ACK,
            version=1, reserved=0, tail=b""):
        """Send one message; returns (errno or 0, extack dict, replies)."""
        self.seq += 1
        payload = struct.pack("=BBH", cmd, version, reserved) + attrs + tail
        msg = struct.pack("=IHHII", 16 + len(payload), typ, flags, self.seq,
                          0) + payload
        self.sk.send(msg)
        replies = []
        while True:
            data = self.sk.recv(1 << 16)
            while data:
                ln, t, fl, seq, _ = struct.unpack("=IHHII", data[:16])
                m, data = data[:ln], data[(ln + 3) & ~3:]
                if seq != self.seq:
                    continue
                if t == NLMSG_ERROR:
                    err = -struct.unpack("=i", m[16:20])[0]
                    orig = struct.unpack("=I", m[20:24])[0]
                    off = 36 if fl & NLM_F_CAPPED else 20 + ((orig + 3) & ~3)
                    return err, self.ext(m, fl, off), replies
                if t == NLMSG_DONE:
                    err = -struct.unpack("=i", m[16:20])[0]
                    return err, self.ext(m, fl, 20), replies
                replies.append(m[16:])

    @staticmethod
    def ext(m, flags, off):
        out = {}
        if not flags & NLM_F_ACK_TLVS:
            return out
        body = m[off:]
        while len(body) >= 4:
            ln, t = struct.unpack("=HH", body[:4])
            if ln < 4:
                break
            v = body[4:ln]
            if t == NLMSGERR_ATTR_MSG:
                out["msg"] = v.rstrip(b"\0").decode(errors="replace")
            elif t == NLMSGERR_ATTR_OFFS:
                out["offs"] = struct.unpack("=I", v[:4])[0]
            elif t == NLMSGERR_ATTR_MISS_TYPE:
                out["miss"] = struct.unpack("=I", v[:4])[0]
            body = body[(ln + 3) & ~3:]
        return out

    def req(self, cmd, attrs=b"", **kw):
        return self.raw(self.family, CMD[cmd] if isinstance(cmd, str) else cmd,
                        attrs, **kw)


def lis(family=socket.AF_INET, addr=b"\x7f\0\0\1", port=18860, extra=b""):
    return nest(A_LISTENER, u16(L_FAMILY, family), attr(L_ADDR, addr),
                u16(L_PORT, port), extra)


def rule(kind=1, access=1, filt="ok/#", user=None):
    out = u8(ACL_KIND, kind) + u8(ACL_ACCESS, access)
    if filt is not None:
        out += s(ACL_FILTER, filt)
    if user is not None:
        out += s(ACL_USER, user)
    return nest(0, out)


def bad_cases():
    """(name, command, attributes, accepted errnos, extack expected)"""
    yield ("listener add without a listener", "LISTENER_ADD", b"", {EINVAL},
           True)
    yield ("listener without a port", "LISTENER_ADD",
           nest(A_LISTENER, u16(L_FAMILY, 2), attr(L_ADDR, b"\x7f\0\0\1")),
           {EINVAL}, True)
    yield ("IPv4 family with a 5-byte address", "LISTENER_ADD",
           lis(addr=b"\x7f\0\0\1\0"), {EINVAL}, True)
    yield ("17-byte address", "LISTENER_ADD", lis(addr=b"\0" * 17),
           {EINVAL, ERANGE}, True)
    yield ("unknown address family", "LISTENER_ADD", lis(family=99),
           {EAFNOSUPPORT, EINVAL}, True)
    yield ("port 0", "LISTENER_ADD", lis(port=0), {EINVAL, ERANGE}, True)
    yield ("listener nest without NLA_F_NESTED", "LISTENER_ADD",
           attr(A_LISTENER, u16(L_FAMILY, 2) + attr(L_ADDR, b"\x7f\0\0\1") +
                u16(L_PORT, 18860)), {EINVAL}, True)
    yield ("u16 limit sent as u32", "LIMIT_SET",
           nest(A_LIMITS, u32(LIM_MAX_INFLIGHT, 5)), {EINVAL, ERANGE}, True)
    yield ("max-packet-size below the minimum", "LIMIT_SET",
           nest(A_LIMITS, u32(LIM_MAX_PACKET_SIZE, 10)), {ERANGE, EINVAL},
           True)
    yield ("allow-anonymous 2", "LIMIT_SET",
           nest(A_LIMITS, u8(LIM_ALLOW_ANONYMOUS, 2)), {ERANGE, EINVAL}, True)
    yield ("max-inflight 0", "LIMIT_SET",
           nest(A_LIMITS, u16(LIM_MAX_INFLIGHT, 0)), {ERANGE, EINVAL}, True)
    yield ("unknown attribute in a nest", "LIMIT_SET",
           nest(A_LIMITS, u16(LIM_MAX_INFLIGHT, 5), u32(99, 1)), {EINVAL},
           True)
    yield ("unknown top-level attribute", "LIMIT_SET",
           nest(A_LIMITS, u16(LIM_MAX_INFLIGHT, 5)) + u32(200, 1), {EINVAL},
           True)
    yield ("output-only attribute in a request", "LIMIT_SET",
           nest(A_LIMITS, u16(LIM_MAX_INFLIGHT, 5)) + nest(A_STATS),
           {EINVAL}, True)
    yield ("user name without its NUL", "USER_ADD",
           nest(A_USER, attr(U_NAME, b"abc"), attr(U_PASSWORD, b"x")),
           {EINVAL}, True)
    yield ("user name of 300 bytes", "USER_ADD",
           nest(A_USER, s(U_NAME, "u" * 300), attr(U_PASSWORD, b"x")),
           {EINVAL, ERANGE}, True)
    yield ("empty user name", "USER_ADD",
           nest(A_USER, s(U_NAME, ""), attr(U_PASSWORD, b"x")), {EINVAL},
           True)
    yield ("password of 2000 bytes", "USER_ADD",
           nest(A_USER, s(U_NAME, "ctl-nl"), attr(U_PASSWORD, b"p" * 2000)),
           {EINVAL, ERANGE}, True)
    yield ("password and hash together", "USER_ADD",
           nest(A_USER, s(U_NAME, "ctl-nl"), attr(U_PASSWORD, b"x"),
                s(U_HASH, "$7$1$QUFBQUFBQUFBQUFB$" + "A" * 86 + "==")),
           {EINVAL}, True)
    yield ("garbage hash", "USER_ADD",
           nest(A_USER, s(U_NAME, "ctl-nl"), s(U_HASH, "$7$10$!!$??")),
           {EINVAL}, True)
    yield ("zero iterations", "USER_ADD",
           nest(A_USER, s(U_NAME, "ctl-nl"), attr(U_PASSWORD, b"x"),
                u32(U_ITERATIONS, 0)), {EINVAL, ERANGE}, True)
    yield ("ACL kind 9", "ACL_SET", nest(A_ACL_RULES, rule(kind=9)),
           {EINVAL, ERANGE}, True)
    yield ("ACL access 0", "ACL_SET", nest(A_ACL_RULES, rule(access=0)),
           {EINVAL, ERANGE}, True)
    yield ("ACL filter of 3000 bytes", "ACL_SET",
           nest(A_ACL_RULES, rule(filt="a" * 3000)), {EINVAL, ERANGE}, True)
    yield ("ACL rule without a filter", "ACL_SET",
           nest(A_ACL_RULES, rule(filt=None)), {EINVAL}, True)
    yield ("ACL filter with # inside", "ACL_SET",
           nest(A_ACL_RULES, rule(filt="a/#/b")), {EINVAL}, True)
    yield ("ACL user rule without a user", "ACL_SET",
           nest(A_ACL_RULES, rule(kind=2)), {EINVAL}, True)
    yield ("ACL list element that is not a nest", "ACL_SET",
           nest(A_ACL_RULES, u32(0, 5)), {EINVAL}, True)
    yield ("ACL good rule then a bad one", "ACL_SET",
           nest(A_ACL_RULES, rule(), rule(filt="x/#/y")), {EINVAL}, True)
    yield ("client kick without an id", "CLIENT_KICK", b"", {EINVAL}, True)
    yield ("retained del with topic and filter", "RETAINED_DEL",
           s(A_TOPIC, "a") + s(A_FILTER, "a/#"), {EINVAL}, True)
    yield ("retained del with a bad filter", "RETAINED_DEL",
           s(A_FILTER, "a/#/b"), {EINVAL}, True)
    yield ("retained del with a wildcard topic", "RETAINED_DEL",
           s(A_TOPIC, "a/+"), {EINVAL}, True)
    yield ("config apply: good listener, bad user", "CONFIG_APPLY",
           nest(A_LISTENERS, nest(0, u16(L_FAMILY, 2),
                                  attr(L_ADDR, b"\x7f\0\0\1"),
                                  u16(L_PORT, 18861))) +
           nest(A_USERS, nest(0, s(U_NAME, "x"), s(U_HASH, "nope"))),
           {EINVAL}, True)
    yield ("config apply: bad limit after good lists", "CONFIG_APPLY",
           nest(A_LISTENERS) + nest(A_ACL_RULES, rule()) +
           nest(A_LIMITS, u16(LIM_MAX_INFLIGHT, 0)), {EINVAL, ERANGE}, True)


def main():
    require_kmqtt()
    saved = Saved()
    tap = Tap()
    g = Genl()
    before = ctl("show")[1]

    tap.case("command numbers match uapi/kmqtt.h", check_uapi)

    def run_bad(name, cmd, attrs, errnos, want_msg):
        def fn():
            err, ext, _ = g.req(cmd, attrs)
            check(err in errnos, "errno", err, "wanted", errnos, ext)
            if want_msg:
                check(ext.get("msg") or "miss" in ext,
                      "extended ACK says why", ext)
            check(ctl("show")[1] == before, "configuration unchanged")
        tap.case("refused: " + name, fn)

    for case in bad_cases():
        run_bad(*case)

    def truncated():
        # An attribute whose length runs past the end of the message.
        bad = struct.pack("=HH", 40, A_LIMITS | NLA_F_NESTED) + b"\0" * 8
        err, ext, _ = g.req("LIMIT_SET", bad)
        check(err == EINVAL, "errno", err, ext)
        check(ctl("show")[1] == before, "configuration unchanged")
    tap.case("refused: truncated attribute", truncated)

    def reserved():
        err, ext, _ = g.req("LIMIT_SET", nest(A_LIMITS, u16(
            LIM_MAX_INFLIGHT, 5)), reserved=1)
        check(err == EINVAL and "reserved" in ext.get("msg", ""), "errno",
              err, ext)
    tap.case("refused: genlmsghdr.reserved set", reserved)

    def bad_flags():
        err, ext, _ = g.req("LIMIT_SET", nest(A_LIMITS, u16(
            LIM_MAX_INFLIGHT, 5)), flags=NLM_F_REQUEST | NLM_F_ACK | 0x100)
        check(err == EINVAL, "errno", err, ext)
    tap.case("refused: reserved nlmsg_flags", bad_flags)

    def unknown_cmd():
        err, ext, _ = g.req(99)
        check(err == EOPNOTSUPP, "errno", err, ext)
    tap.case("refused: unknown command", unknown_cmd)

    def bad_dump():
        err, ext, _ = g.req("RETAINED_GET", s(A_FILTER, "a/#/b"),
                            flags=NLM_F_REQUEST | NLM_F_DUMP)
        check(err == EINVAL, "dump ends with an error", err, ext)
        check("filter" in ext.get("msg", ""), "says why", ext)
    tap.case("refused: dump with a bad filter", bad_dump)

    def unprivileged():
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                gg = Genl()
                res = [gg.req("LIMIT_SET", nest(A_LIMITS, u16(
                    LIM_MAX_INFLIGHT, 5)))[0],
                    gg.req("LIMIT_GET")[0]]
                os.write(w, ("%d %d" % tuple(res)).encode())
            finally:
                os._exit(0)
        os.close(w)
        out = os.read(r, 100).decode()
        os.waitpid(pid, 0)
        check(out == "%d 0" % EPERM, "EPERM for set, reads allowed", out)
        check(ctl("show")[1] == before, "configuration unchanged")
    tap.case("refused: valid request from a uid without CAP_NET_ADMIN",
             unprivileged)

    def valid_control():
        # The same socket still works, and a valid request does apply.
        err, ext, _ = g.req("LIMIT_SET", nest(A_LIMITS, u16(
            LIM_MAX_INFLIGHT, 7)))
        check(err == 0, "valid request accepted", err, ext)
        check("limit max-inflight 7" in ctl("show")[1], "applied")
        err, _, replies = g.req("LISTENER_GET",
                                flags=NLM_F_REQUEST | NLM_F_DUMP)
        check(err == 0 and replies, "dump works", err)
    tap.case("control: a valid request on the same socket applies",
             valid_control)

    saved.restore()
    tap.done()


if __name__ == "__main__":
    main()
