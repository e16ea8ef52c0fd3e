#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the raw results of tests/bench/run-bench.sh into BENCHMARKS.md.

usage: report.py [--out FILE] RESULTDIR...

RESULTDIR is a run-bench.sh output directory (host.json, and one subdirectory per
boot holding results.jsonl and guest.json) or one of those subdirectories.
Python 3 standard library only.
"""
import argparse
import json
import os
import statistics
import sys

KM, MQ = "kmqtt", "mosquitto"


def load(dirs):
    recs, guests, host = [], [], {}
    for d in dirs:
        cand = [d] + [os.path.join(d, s) for s in sorted(os.listdir(d))
                      if os.path.isdir(os.path.join(d, s))]
        for c in cand:
            for name, dst in (("host.json", "host"), ("guest.json", "guest")):
                p = os.path.join(c, name)
                if os.path.exists(p):
                    with open(p) as f:
                        try:
                            obj = json.loads(f.read())
                        except ValueError:
                            continue
                    if dst == "host":
                        host = obj
                    else:
                        guests.append(obj)
            p = os.path.join(c, "results.jsonl")
            if os.path.exists(p):
                with open(p) as f:
                    for ln, line in enumerate(f, 1):
                        line = line.strip()
                        if not line:
                            continue
                        try:
                            recs.append(json.loads(line))
                        except ValueError:
                            print("report.py: %s:%d: bad JSON line skipped" % (p, ln),
                                  file=sys.stderr)
    return recs, guests, host


# ---- metrics: each takes one record and returns a number or None ----

def res(r):
    return r.get("result") or {}


def thr(r):
    return res(r).get("delivered_per_s")


def maxrate(r):
    v = res(r).get("max_rate")
    return v if v else None


def cpu_per_msg(r):
    return (res(r).get("cpu") or {}).get("guest_busy_us_per_msg")


def broker_cpu_s(r):
    """mosquitto: its own schedstat; kmqtt: whole guest minus the load generator."""
    cpu = res(r).get("cpu") or {}
    if r.get("broker") == MQ:
        return cpu.get("broker_s")
    return cpu.get("guest_minus_loadgen_s")


def same_method_cpu_s(r):
    return (res(r).get("cpu") or {}).get("guest_minus_loadgen_s")


def per_broker_cpu(fn):
    def f(r):
        c, d = fn(r), res(r).get("delivered")
        if not c or c <= 0 or not d:
            return None
        return d / c
    return f


def lat(p):
    def f(r):
        return (res(r).get("lat_us") or {}).get(p)
    return f


def mem_used_kb(m):
    return m["mem_total_kb"] - m["mem_available_kb"] - m["pcp_pages"] * m["page_kb"]


def mem_per_conn(r):
    m, n = r.get("mem"), res(r).get("connected")
    if not m or not n:
        return None
    return (mem_used_kb(m["loaded"]) - mem_used_kb(m["baseline"])) / n


def rss_per_conn(r):
    m, n = r.get("mem"), res(r).get("connected")
    if not m or not n or m["loaded"].get("broker_rss_kb") is None:
        return None
    return (m["loaded"]["broker_rss_kb"] - m["baseline"]["broker_rss_kb"]) / n


def rss_loaded(r):
    m = r.get("mem")
    return m["loaded"].get("broker_rss_kb") if m else None


def conn_rate(r):
    return res(r).get("connects_per_s")


# ---- aggregation ----

class Data:
    def __init__(self, recs):
        self.recs = recs
        self.cpus = max([r.get("cpus", 0) for r in recs] or [0])

    def runs(self, case, broker, cpus=None):
        cpus = self.cpus if cpus is None else cpus
        return [r for r in self.recs if r.get("case") == case and
                r.get("broker") == broker and r.get("cpus") == cpus]

    def median(self, case, broker, fn, cpus=None):
        vals = [fn(r) for r in self.runs(case, broker, cpus)]
        vals = [v for v in vals if v is not None]
        return statistics.median(vals) if vals else None

    def spread(self, case, broker, fn, cpus=None):
        vals = [fn(r) for r in self.runs(case, broker, cpus)]
        vals = [v for v in vals if v is not None]
        return (min(vals), max(vals), len(vals)) if vals else None

    def failed(self, case, broker, cpus=None):
        return [r for r in self.runs(case, broker, cpus) if not res(r).get("ok")]


def fmt(v, unit=""):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    a = abs(v)
    if a >= 100:
        s = "{:,.0f}".format(v)
    elif a >= 10:
        s = "%.1f" % v
    else:
        s = "%.2f" % v
    return s + unit


def ratio_s(k, m):
    if k is None or m is None or m == 0:
        return None
    return k / m


def verdict(value, op, target):
    if value is None:
        return "n/a"
    ok = value >= target if op == ">=" else value <= target
    return "yes" if ok else "**no**"


def mark(d, case, cpus=None):
    bad = [b for b in (KM, MQ) if d.failed(case, b, cpus)]
    return " †" if bad else ""


def build(recs, guests, host, args):
    d = Data(recs)
    g = max(guests, key=lambda x: x.get("guest_cpus", 0)) if guests else {}
    rate = g.get("paced_rate", "?")
    conns = g.get("storm_conns", "?")
    L = []
    w = L.append
    w("# kmqtt benchmarks")
    w("")
    w("Generated by `tests/bench/run-bench.sh` (`make bench`) with `tests/bench/report.py`;"
      " do not edit by hand. kmqtt and Debian's Mosquitto run in the **same QEMU guest, in the"
      " same boot**, scenario by scenario interleaved (the order alternates between"
      " repetitions); each figure is the **median of %s repetition(s)**." % g.get("repeat", "?"))
    w("")
    w("## Run")
    w("")
    w("| | |")
    w("|---|---|")
    rows = [
        ("Date", host.get("date")),
        ("Command", "`%s`" % host.get("command", "?")),
        ("Host CPU", "%s (%s CPUs, %s GiB)" % (host.get("host_cpu", "?"), host.get("host_cpus", "?"),
                                               round(host.get("host_mem_kb", 0) / 1048576))),
        ("Host kernel", host.get("host_kernel")),
        ("Host load", "load average %s at the start, %s at the end%s" % (
            host.get("host_load_start", "?"), host.get("host_load_end", "?"),
            "; %s other QEMU guests running at the start" % host["host_qemus_start"]
            if "host_qemus_start" in host else "")),
        ("QEMU", "%s, `-accel tcg`" % host.get("qemu", "?")),
        ("Guest kernel", "%s (Debian stock), %s vCPUs, %s MiB" % (
            g.get("guest_kernel", "?"), d.cpus or g.get("guest_cpus", "?"),
            round(g.get("guest_mem_kb", 0) / 1024))),
        ("Brokers", "kmqtt %s on 127.0.0.1:1883; mosquitto %s on 127.0.0.1:1884"
         " (persistence false, other settings default)" % (
             g.get("kmqtt_version") or "(no version)", g.get("mosquitto_version", "?"))),
        ("Measured", g.get("brokers", "?")),
        ("Load", "tests/bench/loadgen, %s s window after %s s warm-up, 64-byte payloads,"
         " %s loadgen thread(s) = vCPUs" % (g.get("duration_s", "?"), g.get("warmup_s", "?"),
                                             d.cpus)),
        ("Source", host.get("git")),
        ("Raw results", "`%s`" % host.get("out", "?")),
    ]
    if g.get("quick"):
        rows.append(("Mode", "**quick** (smoke test: short runs, not for conclusions)"))
    for k, v in rows:
        w("| %s | %s |" % (k, v if v is not None else "?"))
    w("")

    w("## Targets")
    w("")
    w("| scenario | kmqtt | mosquitto | kmqtt / mosquitto | target | met? |")
    w("|---|---:|---:|---:|---:|:---:|")

    def row(label, case, fn, op, target, unit="", cpus=None):
        k, m = d.median(case, KM, fn, cpus), d.median(case, MQ, fn, cpus)
        r = ratio_s(k, m)
        w("| %s%s | %s | %s | %s | %s %g× | %s |" % (
            label, mark(d, case, cpus), fmt(k, unit), fmt(m, unit),
            fmt(r, "×") if r is not None else "—", "≥" if op == ">=" else "≤", target,
            verdict(r, op, target)))

    row("fan-out QoS 0, 1 → 32: delivered msg/s", "fanout-q0", thr, ">=", 3)
    row("fan-in QoS 0, 16 → 1: delivered msg/s", "fanin-q0", thr, ">=", 2)
    row("pairs QoS 0, 16 pairs: delivered msg/s", "pairs-q0", thr, ">=", 2)
    row("fan-in QoS 1, 16 → 1: highest paced msg/s with zero loss", "fanin-q1-max", maxrate,
        ">=", 2)
    row("whole-guest CPU per delivered message, fan-in QoS 0 paced at %s msg/s" % rate,
        "cpu-q0", cpu_per_msg, "<=", 0.5, " µs")
    row("whole-guest CPU per delivered message, fan-in QoS 1 paced at %s msg/s" % rate,
        "cpu-q1", cpu_per_msg, "<=", 0.5, " µs")
    row("latency p99 at 1000 msg/s, QoS 0", "latency-q0", lat("p99"), "<=", 0.5, " µs")
    row("latency p99 at 1000 msg/s, QoS 1", "latency-q1", lat("p99"), "<=", 0.5, " µs")
    row("whole-system memory per idle connection (%s connections)" % conns, "storm",
        mem_per_conn, "<=", 1, " KiB")
    for case in ("fanout-q0", "fanin-q0", "pairs-q0", "fanout-q1", "fanin-q1", "pairs-q1",
                 "fanout-q2", "fanin-q2", "pairs-q2", "cpu-q0", "cpu-q1",
                 "latency-q0", "latency-q1", "latency-q2", "fanin-q1-max"):
        if d.runs(case, KM) or d.runs(case, MQ):
            row("messages per broker CPU-second: %s" % case, case,
                per_broker_cpu(broker_cpu_s), ">=", 2)
    for case in ("pairs-q0", "fanin-q0", "fanout-q0"):
        k2, k1 = d.median(case, KM, thr), d.median(case, KM, thr, 1)
        m2, m1 = d.median(case, MQ, thr), d.median(case, MQ, thr, 1)
        kr, mr = ratio_s(k2, k1), ratio_s(m2, m1)
        if d.cpus > 1 and (k1 or m1):
            w("| throughput %d vCPUs / 1 vCPU: %s%s | %s | %s | — | kmqtt ≥ 1.7× | %s |" % (
                d.cpus, case, mark(d, case, 1), fmt(kr, "×"), fmt(mr, "×"),
                verdict(kr, ">=", 1.7)))
    w("")
    w("Broker CPU: Mosquitto's own schedstat time; kmqtt's is the whole guest's busy time"
      " minus the load generator's (kmqtt has no process). † = at least one run of this case"
      " was not valid (see *Run problems*).")
    w("")

    w("## Other figures")
    w("")
    w("| figure | kmqtt | mosquitto | kmqtt / mosquitto |")
    w("|---|---:|---:|---:|")

    def info(label, case, fn, unit="", cpus=None):
        if not (d.runs(case, KM, cpus) or d.runs(case, MQ, cpus)):
            return
        k, m = d.median(case, KM, fn, cpus), d.median(case, MQ, fn, cpus)
        w("| %s%s | %s | %s | %s |" % (label, mark(d, case, cpus), fmt(k, unit), fmt(m, unit),
                                       fmt(ratio_s(k, m), "×")))

    for q in (1, 2):
        info("fan-out QoS %d, 1 → 32: delivered msg/s" % q, "fanout-q%d" % q, thr)
        info("fan-in QoS %d, 16 → 1: delivered msg/s (unpaced)" % q, "fanin-q%d" % q, thr)
        info("pairs QoS %d, 16 pairs: delivered msg/s" % q, "pairs-q%d" % q, thr)
    for q in (0, 1, 2):
        info("latency p50 at 1000 msg/s, QoS %d" % q, "latency-q%d" % q, lat("p50"), " µs")
        if q == 2:
            info("latency p99 at 1000 msg/s, QoS 2", "latency-q2", lat("p99"), " µs")
        info("latency max at 1000 msg/s, QoS %d" % q, "latency-q%d" % q, lat("max"), " µs")
    for q in (0, 1):
        info("loadgen-independent broker CPU per message, cpu-q%d (guest − loadgen)" % q,
             "cpu-q%d" % q,
             lambda r: (same_method_cpu_s(r) or 0) * 1e6 / res(r)["delivered"]
             if res(r).get("delivered") and same_method_cpu_s(r) else None, " µs")
    for case in ("fanout-q0", "fanin-q0", "pairs-q0"):
        info("unpaced %s: delivered msg/s at 1 vCPU" % case, case, thr, cpus=1)
    info("connection storm: connects/s (%s connections)" % conns, "storm", conn_rate)
    info("connection storm: broker RSS growth per connection", "storm", rss_per_conn, " KiB")
    info("connection storm: broker RSS with all connections open", "storm", rss_loaded, " KiB")
    w("")

    w("## Run problems")
    w("")
    probs = [r for r in recs if not res(r).get("ok")]
    if not probs:
        w("None: every run delivered every QoS 1/2 message exactly as often as it should,"
          " without protocol or connection errors.")
    else:
        w("| case | broker | vCPUs | rep | problem |")
        w("|---|---|---:|---:|---|")
        for r in probs:
            w("| %s | %s | %s | %s | %s |" % (r.get("case"), r.get("broker"), r.get("cpus"),
                                             r.get("rep"), res(r).get("fail") or
                                             "exit %s" % r.get("rc")))
    qos0 = {}
    for r in recs:
        x = res(r)
        if x.get("qos") == 0 and x.get("expected"):
            qos0.setdefault((r.get("case"), r.get("broker"), r.get("cpus")), []).append(
                100.0 * x.get("lost", 0) / x["expected"])
    lossy = {k: statistics.median(v) for k, v in qos0.items() if max(v) > 0}
    if lossy:
        w("")
        w("QoS 0 messages published but not delivered by the end of the run (allowed by MQTT:"
          " a broker under unpaced overload drops them or still holds them), median share: " +
          ", ".join("%s %s%s %.0f %%" % (c, b, " (1 vCPU)" if n == 1 else "", v)
                    for (c, b, n), v in sorted(lossy.items(), key=lambda i: (i[0][0], -i[0][2],
                                                                            i[0][1]))) + ".")
    w("")

    w("## All runs")
    w("")
    w("| case | broker | vCPUs | rep | delivered/s | lost | dup | ooo | p50 µs | p99 µs |"
      " guest busy µs/msg | broker CPU s | loadgen CPU s | ok |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for r in sorted(recs, key=lambda r: (r.get("case", ""), -r.get("cpus", 0),
                                         r.get("broker", ""), r.get("rep", 0))):
        x = res(r)
        cpu = x.get("cpu") or {}
        la = x.get("lat_us") or {}
        dl = x.get("delivered_per_s")
        if r.get("case") == "fanin-q1-max":
            dl = "max %s" % fmt(x.get("max_rate"))
        if r.get("case") == "storm":
            dl = "%s conn/s" % fmt(x.get("connects_per_s"))
        w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r.get("case"), r.get("broker"), r.get("cpus"), r.get("rep"), fmt(dl),
            x.get("lost", "—"), x.get("dup", "—"), x.get("ooo", "—"), fmt(la.get("p50")),
            fmt(la.get("p99")), fmt(cpu.get("guest_busy_us_per_msg")), fmt(broker_cpu_s(r)),
            fmt(cpu.get("loadgen_s")), "yes" if x.get("ok") else "**no**"))
    w("")

    w("## Method")
    w("")
    w("- **Scenarios** (tests/bench/loadgen, one process, one epoll loop per thread, its own"
      " MQTT 3.1.1 client): *fan-out* 1 publisher → 32 subscribers on one topic; *fan-in* 16"
      " publishers on their own topics → 1 subscriber on `bench/<run>/in/+`; *pairs* 16"
      " publisher → subscriber pairs; *latency* 1 pair paced at 1000 msg/s; *storm* %s idle"
      " connections; subscriptions at the publish QoS. Unpaced publishers send as fast as the"
      " socket takes (QoS 0) or keep 20 messages in flight (QoS 1/2). Delivered msg/s counts"
      " messages received by subscribers inside the window." % conns)
    w("- **Checks**: every payload carries publisher id, sequence number and CLOCK_MONOTONIC"
      " send time; subscribers count lost, duplicated and out-of-order messages per publisher,"
      " acknowledgement flows and delivered QoS are checked, and a QoS 1/2 run with a loss,"
      " a protocol or connection error is invalid (†).")
    w("- **Highest zero-loss rate**: paced runs, the rate doubled then bisected; a rate passes"
      " when nothing is lost and ≥ 95 % of the paced messages are delivered in the window.")
    w("- **CPU per message** runs use one load-generator thread that sends in 10 ms batches,"
      " because its own wakeups are expensive under TCG and are part of the whole-guest"
      " figure.")
    w("- **CPU**: under TCG the tick-sampled user/system fields of `/proc/stat` are badly"
      " wrong, so guest busy time = CPUs × wall − (idle + iowait) over the window (NO_HZ"
      " accounts idle exactly). Whole-guest CPU per delivered message is taken at a fixed"
      " paced load (fan-in, %s msg/s) so both brokers do the same work." % rate)
    w("- **Broker CPU**: Mosquitto's is the sum of its threads' `/proc/PID/task/*/schedstat`;"
      " kmqtt's is whole-guest busy minus the load generator's own CPU time. Caveat: on"
      " loopback the receive softirq runs in the sender's context (Debian's kernel has no"
      " IRQ_TIME_ACCOUNTING), so work done in softirq for the load generator's sends is"
      " charged to the load generator, and kmqtt's sends to subscribers are charged to kmqtt."
      " Whole-guest CPU per message is the comparison that does not depend on this.")
    w("- **Memory per connection**: used = MemTotal − MemAvailable − per-CPU free pages"
      " (`/proc/zoneinfo` pagesets `count`, which MemAvailable misses), sampled before"
      " connecting and with all connections open (after 1 s to settle), divided by the number"
      " of connections. This includes both ends of each loopback TCP connection (the client"
      " side is the same for both brokers). Mosquitto is restarted before each storm so that"
      " its heap growth is counted; its RSS is shown beside.")
    w("- **Noise**: the host is shared and TCG has no steal time, so unpaced figures vary"
      " between boots by several times; only ratios within one boot are meaningful.")
    w("- **2 vs 1 vCPU**: %s" % (
        "the scaling cases rerun in the same boot with cpu1 taken offline (CPU hotplug),"
        " interleaved with the 2-vCPU runs, load generator with 1 thread."
        if any(gg.get("scaling") == "hotplug" for gg in guests) else
        "a second boot with `--smp 1`; figures from different boots, so noisier."))
    w("")
    w("Rerun: `make bench` (35-60 minutes), or `BENCH_QUICK=1 make bench` for a smoke test;"
      " `python3 tests/bench/report.py RESULTDIR` regenerates this file from raw results.")
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="-", help="output file (default stdout)")
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    recs, guests, host = load(args.dirs)
    if not recs:
        print("report.py: no results found in %s" % " ".join(args.dirs), file=sys.stderr)
        return 1
    text = build(recs, guests, host, args)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
