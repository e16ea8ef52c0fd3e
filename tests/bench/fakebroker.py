#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A deliberately faulty MQTT 3.1.1 broker, to prove that loadgen's checks work.

usage: fakebroker.py PORT MODE [NTH]
MODE: ok | drop | dup | reorder  -- applied to the NTH (default 50) forwarded message.
Single-threaded, loopback only, just enough of MQTT for loadgen's scenarios.
"""
import selectors
import socket
import sys


class Conn:
    def __init__(self, sock):
        self.sock, self.buf, self.out = sock, b"", bytearray()
        self.subs = []          # (filter, granted qos)
        self.pid = 0

    def next_pid(self):
        self.pid = self.pid % 65535 + 1
        return self.pid


def varint(n):
    out = bytearray()
    while True:
        b, n = n & 127, n >> 7
        out.append(b | (128 if n else 0))
        if not n:
            return bytes(out)


def matches(flt, topic):
    f, t = flt.split("/"), topic.split("/")
    for i, part in enumerate(f):
        if part == "#":
            return True
        if i >= len(t) or (part != "+" and part != t[i]):
            return False
    return len(f) == len(t)


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    nth = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    sel = selectors.DefaultSelector()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(128)
    ls.setblocking(False)
    sel.register(ls, selectors.EVENT_READ, None)
    conns = {}
    state = {"n": 0, "held": None}

    def send(c, data):
        c.out += data
        try:
            n = c.sock.send(c.out)
            del c.out[:n]
        except BlockingIOError:
            pass

    def deliver(topic, payload, qos):
        for c in list(conns.values()):
            for flt, g in c.subs:
                if matches(flt, topic):
                    q = min(qos, g)
                    tb = topic.encode()
                    body = len(tb).to_bytes(2, "big") + tb
                    if q:
                        body += c.next_pid().to_bytes(2, "big")
                    body += payload
                    send(c, bytes([0x30 | q << 1]) + varint(len(body)) + body)
                    break

    def forward(topic, payload, qos):
        state["n"] += 1
        n = state["n"]
        if n == nth and mode == "drop":
            return
        if n == nth and mode == "reorder":
            state["held"] = (topic, payload, qos)
            return
        deliver(topic, payload, qos)
        if n == nth and mode == "dup":
            deliver(topic, payload, qos)
        if n == nth + 1 and state["held"]:
            deliver(*state["held"])
            state["held"] = None

    def packet(c, h, b):
        t = h >> 4
        if t == 1:
            send(c, b"\x20\x02\x00\x00")
        elif t == 8:
            pid, i, codes = b[:2], 2, b""
            while i < len(b):
                ln = int.from_bytes(b[i:i + 2], "big")
                flt, q = b[i + 2:i + 2 + ln].decode(), b[i + 2 + ln]
                c.subs.append((flt, q))
                codes += bytes([q])
                i += 3 + ln
            send(c, b"\x90" + varint(2 + len(codes)) + pid + codes)
        elif t == 3:
            qos = (h >> 1) & 3
            ln = int.from_bytes(b[:2], "big")
            topic, off = b[2:2 + ln].decode(), 2 + ln
            if qos:
                pid, off = b[off:off + 2], off + 2
                send(c, (b"\x40\x02" if qos == 1 else b"\x50\x02") + pid)
            forward(topic, b[off:], qos)
        elif t == 6:
            send(c, b"\x70\x02" + b[:2])
        elif t == 5:
            send(c, b"\x62\x02" + b[:2])
        elif t == 12:
            send(c, b"\xd0\x00")
        elif t == 14:
            raise ConnectionError

    while True:
        for key, ev in sel.select():
            if key.data is None:
                s, _ = ls.accept()
                s.setblocking(False)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conns[s] = Conn(s)
                sel.register(s, selectors.EVENT_READ, conns[s])
                continue
            c = key.data
            try:
                d = c.sock.recv(65536)
                if not d:
                    raise ConnectionError
                c.buf += d
                while len(c.buf) >= 2:
                    rem, mul, i = 0, 1, 1
                    while i < len(c.buf) and c.buf[i] & 128:
                        rem += (c.buf[i] & 127) * mul
                        mul *= 128
                        i += 1
                    if i >= len(c.buf):
                        break
                    rem += c.buf[i] * mul
                    i += 1
                    if len(c.buf) < i + rem:
                        break
                    packet(c, c.buf[0], c.buf[i:i + rem])
                    c.buf = c.buf[i + rem:]
            except (ConnectionError, OSError):
                sel.unregister(c.sock)
                c.sock.close()
                del conns[c.sock]


if __name__ == "__main__":
    main()
