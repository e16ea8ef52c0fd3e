#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the raw results of tests/bench/run-bench.sh into BENCHMARKS.md.

usage: report.py [--out FILE] [--profile DIR] RESULTDIR...

RESULTDIR is a run-bench.sh output directory (host.json, and one subdirectory per
boot holding results.jsonl and guest.json) or one of those subdirectories.  Profiles
(tests/bench/profile.sh or run-bench.sh --profile, summarised by profsum.py post) found in
a RESULTDIR's profile/ subdirectories or given with --profile become the section "Where
the time goes"; with only --profile, the report is just that section.
Python 3 standard library only.
"""
import argparse
import glob
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


def kmem_anon_per_conn(r):
    """Slab + KernelStack + PageTables + AnonPages growth: the memory the connections
    hold, without the free-page noise (per-CPU lists, THP, reclaim) of MemAvailable."""
    m, n = r.get("mem"), res(r).get("connected")
    if not m or not n or "anon_kb" not in m["loaded"]:
        return None
    f = ("slab_kb", "kernel_stack_kb", "page_tables_kb", "anon_kb")
    return sum(m["loaded"][k] - m["baseline"][k] for k in f) / n


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


# ---- "Where the time goes": profiles summarised by profsum.py ----

PROFILE_FOR = {
    "cpu-q0": "whole-guest CPU per message and messages per broker CPU-second at a low paced "
              "rate (cpu-q0/q1, latency-q*)",
    "cpu-q1": "whole-guest CPU per message, cpu-q1",
    "fanin-q0": "fan-in QoS 0 delivered msg/s and messages per broker CPU-second, fanin-q0",
    "pairs-q0": "2 vs 1 vCPU scaling (compare with pairs-q0@1)",
    "pairs-q0@1": "2 vs 1 vCPU scaling (compare with pairs-q0)",
    "fanin-q0@1": "2 vs 1 vCPU scaling (compare with fanin-q0)",
    "fanout-q0@1": "2 vs 1 vCPU scaling (compare with fanout-q0)",
}
GROUP_ROWS = [
    ("by task", "by_comm", None),
    ("self time by category", "by_cat", None),
    ("inclusive: stack contains", "marks", None),
    ("kmqtt work items (kworker) by phase", "kworker_phases", None),
]


def find_profile_dirs(dirs):
    out = []
    for d in dirs:
        for c in [d] + sorted(glob.glob(os.path.join(d, "profile"))) + \
                sorted(glob.glob(os.path.join(d, "*", "profile"))):
            if c not in out and (os.path.exists(os.path.join(c, "profile.json")) or
                                 glob.glob(os.path.join(c, "mem.*.loaded.json"))):
                out.append(c)
    return out


def load_profiles(pdirs):
    profs, mems, meta = {}, {}, {}
    for d in pdirs:
        try:
            with open(os.path.join(d, "profile.json")) as f:
                meta = json.load(f)
        except (OSError, ValueError):
            pass
        for p in sorted(glob.glob(os.path.join(d, "*.json"))):
            b = os.path.basename(p)[:-5]
            if b == "profile" or b.endswith(".result") or b.endswith(".baseline") or \
                    b.endswith(".loaded"):
                continue
            try:
                with open(p) as f:
                    obj = json.load(f)
            except (OSError, ValueError):
                continue
            if b.startswith("mem."):
                mems[b[4:]] = obj
            elif "." in b and "by_cat" in obj:
                case, broker = b.rsplit(".", 1)
                obj["_dir"] = d
                profs.setdefault(case, {})[broker] = obj
    return profs, mems, meta


def profile_section(pdirs):
    profs, mems, meta = load_profiles(pdirs)
    if not profs and not mems:
        return []
    L = []
    w = L.append
    w("## Where the time goes")
    w("")
    w("Whole-guest profiles (`perf record -a -g -e cpu-clock -F %s`; TCG has no PMU) of one"
      " %s s run (after %s s warm-up) per case and broker, in one boot, made by"
      " `tests/bench/profile.sh` (or `run-bench.sh --profile`) and summarised by"
      " `tests/bench/profsum.py`; raw data, perf reports (`*.sym.txt`, `*.dso.txt`,"
      " `*.calls.txt`), folded stacks and summaries in `%s`. Shares are of the guest's busy"
      " (non-idle) samples, load generator included; µs/msg = that share × the whole-guest"
      " busy CPU per delivered message the load generator measured in its window (under TCG"
      " cpu-clock loses the ticks of a vCPU the host does not run in time, so the samples are"
      " a subset: use them for shares). *Self* = the sampled function; *stack"
      " contains* = inclusive. cpu-clock samples come from a timer interrupt, so time with"
      " interrupts or bottom halves disabled shows up at `_raw_spin_unlock_irq*` /"
      " `__local_bh_enable_ip` (category lock/irq-restore) rather than where it was spent."
      % (meta.get("freq", "?"), meta.get("duration_s", "?"), meta.get("warmup_s", "?"),
         ", ".join(pdirs)))
    w("")
    order = [c for c in ("cpu-q0", "cpu-q1", "fanin-q0", "pairs-q0", "pairs-q0@1")
             if c in profs] + sorted(c for c in profs if c not in
                                     ("cpu-q0", "cpu-q1", "fanin-q0", "pairs-q0", "pairs-q0@1"))
    for case in order:
        bp = profs[case]
        brokers = [b for b in (KM, MQ) if b in bp]
        w("### %s%s" % (case, " — " + PROFILE_FOR[case] if case in PROFILE_FOR else ""))
        w("")
        head = "| | " + " | ".join("%s %% busy | %s µs/msg" % (b, b) for b in brokers) + " |"
        w(head)
        w("|---|" + "---:|---:|" * len(brokers))

        def cell(b, v):
            s_ = bp[b]
            busy = s_.get("busy") or 0
            unit = s_.get("busy_us_per_msg")
            pc = 100.0 * v / busy if busy else 0
            us = unit * v / busy if (unit and busy) else None
            return "%.1f | %s" % (pc, fmt(us))
        w("| **busy CPU per delivered message** | " + " | ".join(
            "%.0f%% idle | %s" % (100.0 * bp[b]["idle"] / max(bp[b]["samples"], 1),
                                  fmt(bp[b].get("busy_us_per_msg"))) for b in brokers) + " |")
        w("| delivered msg/s in the window | " + " | ".join(
            "| %s" % fmt((bp[b].get("result") or {}).get("delivered_per_s")) for b in brokers) +
          " |")
        for title, key, _ in GROUP_ROWS:
            names = []
            for b in brokers:
                for k, v in bp[b].get(key) or []:
                    if k not in names:
                        names.append(k)
            vals = {b: dict(bp[b].get(key) or []) for b in brokers}
            rows = [(k, max(100.0 * vals[b].get(k, 0) / max(bp[b]["busy"], 1) for b in brokers))
                    for k in names]
            rows = [r for r in rows if r[1] >= 0.5]
            if key != "marks":
                rows.sort(key=lambda r: -r[1])
            for k, _ in rows:
                w("| %s: %s | %s |" % (title, k, " | ".join(cell(b, vals[b].get(k, 0))
                                                          for b in brokers)))
        w("")
        tops = {b: bp[b].get("top_syms", [])[:15] for b in brokers}
        w("Top self symbols (% of busy):")
        w("")
        w("| # | " + " | ".join("%s | %%" % b for b in brokers) + " |")
        w("|---:|" + "---|---:|" * len(brokers))
        for i in range(max(len(t) for t in tops.values())):
            cells = []
            for b in brokers:
                t = tops[b]
                if i < len(t):
                    sym, dso = t[i][0].rsplit(" ", 1)
                    dso = dso.rsplit("/", 1)[-1]
                    cells.append("`%s` %s | %.1f" % (sym, "" if dso == "[kernel.kallsyms]"
                                                     else dso, 100.0 * t[i][1] /
                                                     max(bp[b]["busy"], 1)))
                else:
                    cells.append(" | ")
            w("| %d | %s |" % (i + 1, " | ".join(cells)))
        if KM in bp and bp[KM].get("kmqtt_incl"):
            w("")
            w("kmqtt functions, inclusive (self) % of busy: " + ", ".join(
                "`%s` %.1f (%.1f)" % (k, 100.0 * v / max(bp[KM]["busy"], 1),
                                      100.0 * dict(bp[KM].get("kmqtt_self") or []).get(k, 0) /
                                      max(bp[KM]["busy"], 1))
                for k, v in bp[KM]["kmqtt_incl"][:12]) + ".")
        w("")
    if mems:
        w("### Memory per idle connection, by slab cache — whole-system memory per connection")
        w("")
        brokers = [b for b in (KM, MQ) if b in mems]
        w("Idle-connection storm (%s), slab caches and `/proc/meminfo` before and with all"
          " connections open (both TCP ends are in the guest; the client end is the same for"
          " both brokers). Bytes per connection; *slab* = whole slabs (pages), *objects* ="
          " active objects × object size.%s" % (
              ", ".join("%s %s connections" % (b, mems[b].get("conns")) for b in brokers),
              " Booted with `slab_nomerge`." if meta.get("slab_nomerge") else
              " Caches may be merged (SLUB aliases, see `slab-aliases.txt`): a merged cache"
              " shows under one name."))
        w("")
        w("| slab cache | objsize | " + " | ".join("%s objs/conn | %s objects B | %s slab B" %
                                                   (b, b, b) for b in brokers) + " |")
        w("|---|---:|" + "---:|---:|---:|" * len(brokers))
        rows = {}
        for b in brokers:
            for r in mems[b].get("slab", []):
                rows.setdefault(r["cache"], {})[b] = r
        keyf = lambda c: -max(abs(rows[c][b]["slab_bytes_per_conn"]) for b in rows[c])
        tot = {b: [0, 0] for b in brokers}
        for c in rows:
            for b in brokers:
                if b in rows[c]:
                    tot[b][0] += rows[c][b]["bytes_per_conn"]
                    tot[b][1] += rows[c][b]["slab_bytes_per_conn"]
        for c in sorted(rows, key=keyf)[:18]:
            r0 = next(iter(rows[c].values()))
            w("| %s | %d | %s |" % (c, r0["objsize"], " | ".join(
                "%.2f | %.0f | %.0f" % (rows[c][b]["objs_per_conn"], rows[c][b]["bytes_per_conn"],
                                        rows[c][b]["slab_bytes_per_conn"])
                if b in rows[c] else "— | — | —" for b in brokers)))
        w("| **all slab caches** | | %s |" % " | ".join(
            "| %.0f | %.0f" % (tot[b][0], tot[b][1]) for b in brokers))
        for k in ("Slab", "AnonPages", "PageTables", "KernelStack", "VmallocUsed", "Percpu"):
            if any(k in (mems[b].get("meminfo") or {}) for b in brokers):
                w("| meminfo %s | | %s |" % (k, " | ".join(
                    "| | %.0f" % (mems[b].get("meminfo") or {}).get(k, 0) for b in brokers)))

        def used(m):
            return m["mem_total_kb"] - m["mem_available_kb"] - m["pcp_pages"] * m["page_kb"]
        if all(mems[b].get("baseline") and mems[b].get("loaded") for b in brokers):
            w("| **used (MemTotal − MemAvailable − per-CPU free pages)** | | %s |" % " | ".join(
                "| | %.0f" % ((used(mems[b]["loaded"]) - used(mems[b]["baseline"])) * 1024.0 /
                              mems[b]["conns"]) for b in brokers))
        w("")
    return L


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
            if "host_qemus_start" in host else "") + (
            ", at most %s during the run" % host["host_qemus_max_others"]
            if "host_qemus_max_others" in host else "")),
        ("QEMU", "%s, `-accel tcg`" % host.get("qemu", "?")),
    ] + ([("Note", host["note"])] if host.get("note") else []) + [
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
    if args.profile_dirs:
        w("Where the time goes for the targets not met: see *Where the time goes* below —"
          " profile `cpu-q0` for CPU per message and messages per broker CPU-second at low paced"
          " rates (cpu-q0/q1, latency-q*), `fanin-q0` for fan-in throughput and CPU,"
          " `pairs-q0` against `pairs-q0@1` for 2 vs 1 vCPU scaling, and the slab-cache table"
          " for memory per idle connection.")
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
        if k is None and m is None:
            return
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
    info("connection storm: Slab + KernelStack + PageTables + AnonPages growth per connection",
         "storm", kmem_anon_per_conn, " KiB")
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

    if args.profile_dirs:
        L.extend(profile_section(args.profile_dirs))
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
    ap.add_argument("--profile", action="append", default=[],
                    help="profile directory (profile.sh output) to embed")
    ap.add_argument("dirs", nargs="*")
    args = ap.parse_args()
    recs, guests, host = load(args.dirs)
    args.profile_dirs = find_profile_dirs(args.dirs + args.profile)
    if not recs and args.profile_dirs:
        text = "# kmqtt profiles\n\n" + "\n".join(profile_section(args.profile_dirs)) + "\n"
        if args.out == "-":
            sys.stdout.write(text)
        else:
            with open(args.out, "w") as f:
                f.write(text)
        return 0
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
