#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise a whole-guest `perf record -a -g` profile (tests/bench/profile.sh).

usage:
  profsum.py post DIR [--force]        (host) for every DIR/*.perf.data written by
      guest-profile.sh: perf reports (.sym.txt, .dso.txt, .calls.txt) and the summary below,
      with DIR/kallsyms for kmqtt.ko's symbols; mem.BROKER.{txt,json} from the storm snapshots
  perf script -F comm,cpu,time,ip,sym,dso | profsum.py fold --out PREFIX [--freq HZ]
        [--result LOADGEN.json] [--label TEXT]
      -> PREFIX.json (summary), PREFIX.folded (every stack, root;...;leaf COUNT),
         PREFIX.txt (human summary)
  profsum.py text PREFIX.json          print the human summary again
  profsum.py slab BASE.slabinfo LOADED.slabinfo [--meminfo BASE LOADED] [--conns N]
      -> per-connection growth of every slab cache and /proc/meminfo field

Self time is classified by the sampled (leaf) symbol; "under" shares count the samples
whose call chain contains a frame (inclusive time).  Percentages are of busy (non-idle)
samples.  cpu-clock sampling fires from a timer interrupt, so time spent with interrupts
(or bottom halves) disabled is charged to the point where they are enabled again
(_raw_spin_unlock_irqrestore, __local_bh_enable_ip, ...): read those as "the section that
ended there".  Python 3 standard library only.
"""
import argparse
import collections
import json
import glob
import io
import os
import re
import subprocess
import sys

IDLE = {"native_safe_halt", "default_idle", "amd_e400_idle", "arch_cpu_idle", "cpu_idle_poll",
        "default_idle_call", "do_idle", "mwait_idle", "acpi_safe_halt", "cpuidle_enter_state",
        "acpi_idle_do_entry", "intel_idle", "poll_idle", "halt"}

# self-time categories: first matching rule wins (symbol regex on the leaf frame)
CATS = [
    ("clock reads (read_hpet: MMIO under TCG)", r"^(read_hpet|read_tsc|ktime_get\w*|"
                                               r"__ktime_get\w*|clocksource_\w+)$"),
    ("copy/csum", r"^(memcpy|__memcpy|memmove|__memmove|memset|__memset|copy_user_\w+|"
                  r"rep_movs_alternative|_copy_to_iter|_copy_from_iter|copyin|copyout|"
                  r"csum_\w+|__csum\w*|copy_page\w*|clear_page\w*|skb_copy_\w+|"
                  r"__copy_\w+|copy_to_user\w*|copy_from_user\w*|simple_copy_to_iter|"
                  r"strlen|strcmp|strncmp|memcmp|__memcmp|memchr|strnlen)$"),
    ("alloc/free", r"^(kmem_cache_\w+|__kmem_cache_\w+|__kmalloc\w*|kmalloc\w*|kfree\w*|"
                   r"__slab_free|___slab_alloc|__slab_alloc\w*|slab_\w+|new_slab|"
                   r"__alloc_pages\w*|get_page_from_freelist|free_unref_\w+|"
                   r"__free_pages\w*|free_pcppages_bulk|rmqueue\w*|page_frag_\w+|"
                   r"__page_frag_\w+|skb_release_\w+|__alloc_skb|alloc_skb\w*|"
                   r"kfree_skb\w*|__kfree_skb|consume_skb|skb_free_head|__build_skb\w*|"
                   r"kmalloc_reserve|ksize|__ksize|__check_object_size|check_\w+_object|"
                   r"__virt_addr_valid|memcg_\w+|__memcg_\w+|obj_cgroup_\w+|"
                   r"mod_objcg_state|refill_obj_stock|drain_obj_stock|"
                   r"__mod_memcg\w*|page_counter_\w+|try_charge\w*|"
                   r"mem_cgroup_\w+|__sk_mem_\w+|sk_mem_\w+|__sk_mem_raise\w*)$"),
    ("lock/irq-restore", r"^(_raw_\w+|__raw_\w+|queued_\w+|native_queued\w+|"
                         r"__local_bh_enable_ip|local_bh_enable|_local_bh_enable|"
                         r"lock_sock_nested|release_sock|__release_sock|"
                         r"__lock_sock\w*|mutex_\w+|__mutex_\w+|down_\w+|up_\w+|"
                         r"__x86_indirect\w*|preempt_count\w*|__rcu_read_\w+|"
                         r"rcu_read_unlock_strict)$"),
    ("sched/wakeup", r"^(__schedule|schedule\w*|finish_task_switch\w*|try_to_wake_up|"
                     r"ttwu_\w+|enqueue_\w+|dequeue_\w+|pick_next_\w+|update_curr\w*|"
                     r"update_load_avg|__update_load_avg\w*|set_next_entity|"
                     r"put_prev_\w+|__switch_to\w*|switch_mm\w*|psi_\w+|"
                     r"select_task_rq\w*|select_idle_\w+|check_preempt\w*|resched_\w+|"
                     r"reweight_\w+|update_cfs\w*|update_rq_clock\w*|"
                     r"__wake_up\w*|wake_up\w*|autoremove_wake_function|"
                     r"default_wake_function|prepare_to_wait\w*|finish_wait|"
                     r"newidle_balance|load_balance|update_sd_lb_stats\w*|"
                     r"find_busiest_group|_nohz_idle_balance\w*|"
                     r"native_sched_clock|sched_clock\w*|account_\w+|cpuacct_\w+|"
                     r"__cgroup_account\w*|cgroup_rstat_\w+|native_smp_send_reschedule|"
                     r"send_call_function_single_ipi|__smp_call_single_queue|"
                     r"flush_smp_call_function\w*|__flush_smp_call_function\w*|"
                     r"sched_ttwu_pending|do_idle_tail|menu_\w+|tick_nohz_\w+)$"),
    ("workqueue", r"^(process_one_work|worker_thread|__queue_work|queue_work_on|insert_work|"
                  r"wq_\w+|kick_pool|pwq_\w+|worker_\w+|__queue_delayed_work|"
                  r"queue_delayed_work_on|delayed_work_timer_fn)$"),
    ("tcp", r"^(tcp_\w+|__tcp_\w+|inet_\w+|__inet_\w+|sk_stream_\w+|sk_reset_timer|"
            r"sk_page_frag_refill|skb_entail|bictcp_\w+|cubictcp_\w+|minmax_\w+|"
            r"__sk_dst_check|sk_filter_trim_cap|sk_forced_mem_schedule)$"),
    ("ip/dev/softirq", r"^(ip_\w+|__ip_\w+|ipv4_\w+|ip6_\w+|dev_\w+|__dev_\w+|netif_\w+|"
                       r"__netif_\w+|loopback_\w+|net_rx_action|process_backlog|napi_\w+|"
                       r"__napi_\w+|skb_\w+|__skb_\w+|eth_\w+|validate_xmit\w*|"
                       r"sch_direct_xmit|__qdisc_\w+|qdisc_\w+|pfifo_\w+|nf_\w+|"
                       r"__nf_\w+|raw_local_deliver|raw_v4_input|__do_softirq|"
                       r"do_softirq\w*|handle_softirqs|irq_exit\w*|__irq_exit\w*|"
                       r"neigh_\w+|__neigh_\w+|dst_release|rt_\w+|fib_\w+|"
                       r"__fib_\w+|sock_wfree|sock_rfree|__sock_wfree|"
                       r"enqueue_to_backlog|rps_\w+|get_rps_cpu)$"),
    ("syscall/vfs/socket", r"^(entry_SYSCALL\w*|do_syscall_64|syscall_\w+|__x64_sys_\w+|"
                           r"__sys_\w+|sock_\w+|__sock_\w+|sys_\w+|ksys_\w+|vfs_\w+|"
                           r"__fget\w*|fget\w*|__fdget\w*|fput\w*|__fput\w*|"
                           r"security_\w+|apparmor_\w+|aa_\w+|rw_verify_area|"
                           r"import_\w+|iov_iter_\w+|__import_\w+|copy_msghdr\w*|"
                           r"__copy_msghdr\w*|exit_to_user_mode\w*|"
                           r"syscall_exit\w*|__audit_\w+|audit_\w+|"
                           r"fpregs_\w+|switch_fpu_\w+|restore_fpregs\w*|"
                           r"__get_user_\w+|__put_user_\w+|"
                           r"entry_SYSRETQ\w*|native_irq_return_iret|"
                           r"error_entry|__rseq_\w+|rseq_\w+|"
                           r"sockfd_lookup_light|move_addr_to_\w+|ktime_get\w*|"
                           r"__x64_\w+|do_sys_\w+|__do_sys_\w+)$"),
    ("epoll/poll", r"^(ep_\w+|do_epoll_\w+|__ep_\w+|epoll_\w+|tcp_poll|sock_poll|"
                   r"__pollwait|pollwake|ep_poll_callback|poll_\w+|do_poll|"
                   r"do_sys_poll|select_\w+|core_sys_select)$"),
    ("timer/irq/rcu/perf", r"^(hrtimer_\w+|__hrtimer_\w+|\w*apic_timer\w*|__sysvec_\w+|"
                      r"sysvec_\w+|asm_sysvec_\w+|irq_\w+|__irq_\w+|tick_\w+|"
                      r"run_timer\w*|__run_timer\w*|call_timer_fn|rcu_\w+|__rcu_\w+|"
                      r"native_apic_\w+|lapic_\w+|clockevents_\w+|timerqueue_\w+|"
                      r"native_read_msr|native_write_msr\w*|"
                      r"perf_\w+|__perf_\w+|x86_pmu_\w+|native_flush_tlb\w*|"
                      r"flush_tlb_\w+|arch_perf_\w+|handle_irq_event\w*|"
                      r"common_interrupt|asm_common_interrupt|handle_edge_irq|"
                      r"vp_\w+|vring_\w+|virtqueue_\w+)$"),
]
CATS = [(n, re.compile(r)) for n, r in CATS]
SUFFIX = re.compile(r"(\.(isra|constprop|part|cold|localalias|llvm)(\.\d+)?)+$")

# inclusive markers: (label, predicate over a frame's (sym, dso))
MARKS = [
    ("kmqtt code (any [kmqtt] frame)", lambda s, d: d == "[kmqtt]"),
    ("workqueue worker (process_one_work)", lambda s, d: s == "process_one_work"),
    ("queueing work (queue_work_on/__queue_work)", lambda s, d: s in ("queue_work_on", "__queue_work")),
    ("net rx softirq (net_rx_action)", lambda s, d: s == "net_rx_action"),
    ("tcp receive (tcp_v4_rcv)", lambda s, d: s == "tcp_v4_rcv"),
    ("tcp send (tcp_sendmsg*/do_tcp_sendpages)", lambda s, d: s in (
        "tcp_sendmsg", "tcp_sendmsg_locked", "do_tcp_sendpages", "tcp_sendpage")),
    ("tcp read (tcp_recvmsg/tcp_read_sock)", lambda s, d: s in (
        "tcp_recvmsg", "tcp_recvmsg_locked", "tcp_read_sock")),
    ("tcp ack/timers (tcp_*ack*/tcp_*timer*)", lambda s, d: s.startswith("tcp_") and
     ("ack" in s or "timer" in s)),
    ("socket wakeups (sk_data_ready → wake_up)", lambda s, d: s in (
        "sock_def_readable", "sk_stream_write_space", "sock_def_write_space")),
    ("wakeups (try_to_wake_up)", lambda s, d: s == "try_to_wake_up"),
    ("scheduler (__schedule)", lambda s, d: s == "__schedule"),
    ("syscalls (do_syscall_64)", lambda s, d: s == "do_syscall_64"),
    ("epoll_wait (do_epoll_wait)", lambda s, d: s == "do_epoll_wait"),
    ("memory alloc/free (kmem_cache/kmalloc/kfree/page)", lambda s, d: bool(
        re.match(r"^(kmem_cache_alloc\w*|kmem_cache_free|__kmalloc\w*|kmalloc\w*|kfree|"
                 r"__alloc_pages|__free_pages|__alloc_skb|kfree_skb\w*|__kfree_skb|"
                 r"consume_skb)$", s))),
    ("timer interrupts (sysvec_apic_timer_interrupt)",
     lambda s, d: s in ("sysvec_apic_timer_interrupt", "asm_sysvec_apic_timer_interrupt")),
    ("perf itself (comm perf)", None),
]

# kmqtt's work items (comm kworker): the first of these frames from the root names the phase
PHASES = [
    ("queue_work_on", "queue_work_on (waking another conn's work)"),
    ("tcp_sendmsg", "tcp_sendmsg (send, incl. the peer's loopback rx softirq)"),
    ("tcp_sendmsg_locked", "tcp_sendmsg (send, incl. the peer's loopback rx softirq)"),
    ("tcp_recvmsg", "tcp_recvmsg (receive)"),
    ("tcp_read_sock", "tcp_read_sock (receive)"),
    ("__schedule", "__schedule (worker sleeps/switches)"),
    ("sysvec_apic_timer_interrupt", "timer interrupt"),
    ("sysvec_call_function_single", "IPI (call function)"),
]
PHASE_IDX = dict(PHASES)

KERNEL_DSOS = ("[kernel.kallsyms]", "[kernel.vmlinux]", "[vdso]", "[unknown]")


def comm_class(comm):
    if comm.startswith("swapper"):
        return "swapper (idle task: idle + irqs/softirqs)"
    if comm.startswith("kworker"):
        return "kworker"
    if comm.startswith("ksoftirqd"):
        return "ksoftirqd"
    if comm.startswith("mosquitto"):
        return "mosquitto"
    if comm.startswith("loadgen") or comm.startswith("lg-"):
        return "loadgen"
    if comm.startswith("perf"):
        return "perf"
    return "other (" + comm.split("/")[0] + ")"


def self_cat(sym, dso):
    if sym in IDLE:
        return "idle"
    if dso == "[kmqtt]":
        return "kmqtt code (self)"
    if dso not in KERNEL_DSOS and not dso.startswith("["):
        base = dso.rsplit("/", 1)[-1]
        if base.startswith("libc.") or base.startswith("ld-linux"):
            return "user: libc/ld"
        if "mosquitto" in base:
            return "user: mosquitto"
        if base == "loadgen":
            return "user: loadgen"
        return "user: other"
    if dso == "[vdso]":
        return "user: other"
    base = SUFFIX.sub("", sym)
    for name, rx in CATS:
        if rx.match(base):
            return name
    return "kernel: other"


HDR = re.compile(r"^(\S.*?)\s+\[(\d+)\](?:\s+([\d.]+):)?\s*$")
FRAME = re.compile(r"^\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")


TIMES = [float("inf"), 0.0]


def parse(stream):
    """yield (comm, cpu, [(sym, dso), ...] leaf first) from
    `perf script -F comm,cpu[,time],ip,sym,dso`; sample times go to TIMES."""
    comm, cpu, frames = None, 0, []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None:
                yield comm, cpu, frames
            comm, frames = None, []
            continue
        if not line[0].isspace():
            if comm is not None:
                yield comm, cpu, frames
            m = HDR.match(line)
            if m:
                comm, cpu = m.group(1).strip(), int(m.group(2))
                if m.group(3):
                    t = float(m.group(3))
                    TIMES[0] = min(TIMES[0], t)
                    TIMES[1] = max(TIMES[1], t)
            else:
                comm, cpu = line.split()[0], 0
            frames = []
            continue
        m = FRAME.match(line)
        if m:
            sym = m.group(2)
            sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
            dso = m.group(3)
            if dso.startswith("/") or dso.startswith("["):
                pass
            if sym == "[unknown]":
                sym = "[unknown %s]" % dso.rsplit("/", 1)[-1]
            yield_dso = dso
            if dso.endswith("kmqtt.ko") or dso == "[kmqtt]":
                yield_dso = "[kmqtt]"
            elif dso.startswith("[kernel.") or dso == "kernel.kallsyms":
                yield_dso = "[kernel.kallsyms]"
            frames.append((sym, yield_dso))
    if comm is not None:
        yield comm, cpu, frames


def fold(args, stream=None):
    stream = stream if stream is not None else sys.stdin
    TIMES[:] = [float("inf"), 0.0]
    n = 0
    idle = 0
    per_cpu = collections.Counter()
    by_comm = collections.Counter()
    by_cat = collections.Counter()
    by_cat_comm = collections.defaultdict(collections.Counter)
    by_sym = collections.Counter()
    by_dso = collections.Counter()
    marks = collections.Counter()
    kmqtt_incl = collections.Counter()
    kmqtt_self = collections.Counter()
    syscalls = collections.Counter()
    phases = collections.Counter()
    irqpts = collections.Counter()
    folded = collections.Counter()
    kmqtt_seen = False
    for comm, cpu, frames in parse(stream):
        if not frames:
            continue
        n += 1
        per_cpu[cpu] += 1
        leaf_sym, leaf_dso = frames[0]
        cat = self_cat(leaf_sym, leaf_dso)
        cc = comm_class(comm)
        key = ";".join([comm.split("/")[0]] +
                       ["%s%s" % (s, "_[k]" if d == "[kmqtt]" else "")
                        for s, d in reversed(frames)])
        folded[key] += 1
        if cat == "idle":
            idle += 1
            continue
        by_comm[cc] += 1
        by_cat[cat] += 1
        by_cat_comm[cc][cat] += 1
        by_sym["%s %s" % (leaf_sym, leaf_dso)] += 1
        by_dso[leaf_dso] += 1
        seen = set()
        for s, d in frames:
            if d == "[kmqtt]":
                kmqtt_seen = True
                if s not in seen:
                    kmqtt_incl[s] += 1
                seen.add(s)
            if s.startswith("__x64_sys_") or s.startswith("__ia32_sys_"):
                syscalls[s.split("_sys_", 1)[1]] += 1
        if leaf_dso == "[kmqtt]":
            kmqtt_self[leaf_sym] += 1
        if cat == "lock/irq-restore":
            par = [SUFFIX.sub("", x) for x, _ in frames[1:4]]
            irqpts["%s < %s" % (leaf_sym, " < ".join(par))] += 1
        if comm.startswith("kworker"):
            ph = None
            for x, _ in reversed(frames):
                ph = PHASE_IDX.get(x)
                if ph:
                    break
            if ph is None:
                if leaf_dso == "[kmqtt]":
                    ph = "kmqtt code (self)"
                elif "kmqtt_conn_io_work" not in (x for x, _ in frames):
                    ph = "outside kmqtt's work function (workqueue bookkeeping, other work)"
                elif cat in ("alloc/free", "copy/csum"):
                    ph = "kmqtt -> " + cat
                else:
                    ph = "kmqtt -> other kernel (%s)" % cat
            phases[ph] += 1
        for label, pred in MARKS:
            if pred is None:
                if cc == "perf":
                    marks[label] += 1
            elif any(pred(s, d) for s, d in frames):
                marks[label] += 1
    busy = n - idle
    period_us = 1e6 / args.freq if args.freq else None
    res = {}
    if args.result:
        try:
            with open(args.result) as f:
                lines = [ln for ln in f.read().splitlines() if ln.startswith("{")]
            res = json.loads(lines[-1]) if lines else {}
        except (OSError, ValueError):
            res = {}
    msgs = res.get("delivered_total") or 0
    span = TIMES[1] - TIMES[0] if TIMES[1] > TIMES[0] else None
    # cpu-clock under TCG: a vCPU the host does not run in time loses its ticks, so the
    # samples cover only part of the CPU time; absolute costs come from the load
    # generator's own measurement (guest busy per message in its window) x the shares
    cover = n * period_us / 1e6 / (span * len(per_cpu)) if (span and period_us) else None
    lg_us = (res.get("cpu") or {}).get("guest_busy_us_per_msg")
    s = {
        "label": args.label, "freq": args.freq, "samples": n, "idle": idle, "busy": busy,
        "cpus": len(per_cpu), "busy_s": busy * period_us / 1e6 if period_us else None,
        "delivered_total": msgs,
        "busy_us_per_msg": lg_us,
        "sampled_busy_us_per_msg": busy * period_us / msgs if (period_us and msgs) else None,
        "span_s": span, "coverage": cover,
        "result": {k: res.get(k) for k in ("delivered_per_s", "delivered_total", "published_total",
                                           "ok", "window_s") if k in res},
        "cpu": res.get("cpu"),
        "kmqtt_symbols_resolved": kmqtt_seen,
        "by_comm": by_comm.most_common(),
        "by_cat": by_cat.most_common(),
        "by_cat_comm": {k: v.most_common() for k, v in by_cat_comm.items()},
        "top_syms": by_sym.most_common(60),
        "by_dso": by_dso.most_common(20),
        "marks": [(label, marks[label]) for label, _ in MARKS],
        "kmqtt_incl": kmqtt_incl.most_common(30),
        "kmqtt_self": kmqtt_self.most_common(30),
        "syscalls": syscalls.most_common(15),
        "kworker_phases": phases.most_common(),
        "irq_restore_points": irqpts.most_common(12),
        "top_stacks": [(k, v) for k, v in folded.most_common(200)
                       if not k.split(";")[-1] in IDLE][:25],
    }
    with open(args.out + ".json", "w") as f:
        json.dump(s, f, indent=0)
    with open(args.out + ".folded", "w") as f:
        for k, v in folded.most_common():
            f.write("%s %d\n" % (k, v))
    with open(args.out + ".txt", "w") as f:
        f.write(text(s))
    return 0


def pct(v, tot):
    return 100.0 * v / tot if tot else 0.0


def text(s):
    busy = s["busy"]
    unit = s.get("busy_us_per_msg")
    L = []
    w = L.append
    w("profile %s: %d samples at %s Hz on %d CPU(s); idle %.1f %%, busy %d samples (%.2f CPU-s)"
      % (s.get("label"), s["samples"], s.get("freq"), s.get("cpus", 0),
         pct(s["idle"], s["samples"]), busy, s.get("busy_s") or 0))
    if s.get("coverage"):
        w("samples cover %.0f %% of the %.1f s x %d CPU(s) recorded (cpu-clock under TCG loses"
          " ticks when the host does not run a vCPU in time): shares only" % (
              100 * s["coverage"], s.get("span_s") or 0, s.get("cpus", 0)))
    if unit:
        w("whole-guest busy CPU per delivered message (loadgen, in its window): %.1f µs;"
          " µs/msg below = that x share; from the samples: %.1f µs" % (
              unit, s.get("sampled_busy_us_per_msg") or 0))
    if not s.get("kmqtt_symbols_resolved") and "mosquitto" not in str(s.get("label")):
        w("(no [kmqtt] frames in the profile)")

    def us(v):
        return " %8.1f µs/msg" % (unit * v / busy) if (unit and busy) else ""

    w("")
    w("busy time by task (% of busy):")
    for k, v in s["by_comm"]:
        w("  %6.1f %%%s  %s" % (pct(v, busy), us(v), k))
    w("")
    w("self time by category (leaf symbol; % of busy):")
    for k, v in s["by_cat"]:
        w("  %6.1f %%%s  %s" % (pct(v, busy), us(v), k))
    w("")
    w("inclusive (% of busy samples whose stack contains):")
    for k, v in s["marks"]:
        w("  %6.1f %%%s  %s" % (pct(v, busy), us(v), k))
    if s.get("syscalls"):
        w("")
        w("syscalls (inclusive, % of busy): " + ", ".join(
            "%s %.1f %%" % (k, pct(v, busy)) for k, v in s["syscalls"]))
    if any(pct(v, busy) >= 0.3 for _, v in s.get("kworker_phases") or []):
        w("")
        w("kworker (kmqtt's work items) by phase (% of busy):")
        for k, v in s["kworker_phases"]:
            if pct(v, busy) >= 0.3:
                w("  %6.1f %%%s  %s" % (pct(v, busy), us(v), k))
    if s.get("irq_restore_points"):
        w("")
        w("lock/irq-restore samples by place (the irq/bh-off section that ended there):")
        for k, v in s["irq_restore_points"]:
            if pct(v, busy) >= 0.3:
                w("  %6.1f %%  %s" % (pct(v, busy), k))
    if s.get("kmqtt_incl"):
        w("")
        w("kmqtt functions, inclusive / self (% of busy):")
        selfd = dict(s.get("kmqtt_self") or [])
        for k, v in s["kmqtt_incl"][:20]:
            w("  %6.1f %% %6.1f %%  %s" % (pct(v, busy), pct(selfd.get(k, 0), busy), k))
    w("")
    w("top self symbols (% of busy):")
    for k, v in s["top_syms"][:40]:
        w("  %6.1f %%  %s" % (pct(v, busy), k))
    w("")
    w("hottest non-idle stacks (root → leaf, samples):")
    for k, v in s["top_stacks"][:15]:
        fr = k.split(";")
        if len(fr) > 14:
            fr = fr[:3] + ["…"] + fr[-10:]
        w("  %5d  %s" % (v, " → ".join(fr)))
    return "\n".join(L) + "\n"


# ---- slab / meminfo diff ----

def read_slabinfo(p):
    d = {}
    with open(p) as f:
        for line in f:
            if line.startswith("slabinfo") or line.startswith("#"):
                continue
            a = line.split()
            if len(a) < 6:
                continue
            try:
                name, act, num, osz, per_slab, pps = a[0], int(a[1]), int(a[2]), int(a[3]), \
                    int(a[4]), int(a[5])
                i = a.index("slabdata")
                nslabs = int(a[i + 2])
            except (ValueError, IndexError):
                continue
            d[name] = {"active": act, "objs": num, "objsize": osz, "pages": nslabs * pps}
    return d


def read_meminfo(p):
    d = {}
    with open(p) as f:
        for line in f:
            a = line.replace(":", " ").split()
            if len(a) >= 2:
                try:
                    d[a[0]] = int(a[1])
                except ValueError:
                    pass
    return d


def slab_diff(base, loaded, conns, page=4096):
    b, l = read_slabinfo(base), read_slabinfo(loaded)
    rows = []
    for name in l:
        x, y = b.get(name, {"active": 0, "objs": 0, "pages": 0}), l[name]
        dobj = y["active"] - x["active"]
        dbytes_obj = dobj * y["objsize"]
        dbytes_pages = (y["pages"] - x["pages"]) * page
        if dobj == 0 and dbytes_pages == 0:
            continue
        rows.append({"cache": name, "objsize": y["objsize"],
                     "objs_per_conn": dobj / conns, "bytes_per_conn": dbytes_obj / conns,
                     "slab_bytes_per_conn": dbytes_pages / conns})
    rows.sort(key=lambda r: -r["slab_bytes_per_conn"])
    return rows


def slab(args):
    rows = slab_diff(args.base, args.loaded, args.conns)
    out = {"conns": args.conns, "slab": rows}
    if args.meminfo:
        mb, ml = read_meminfo(args.meminfo[0]), read_meminfo(args.meminfo[1])
        out["meminfo"] = {k: (ml[k] - mb.get(k, 0)) * 1024.0 / args.conns for k in ml
                          if ml[k] != mb.get(k, 0)}
    if args.json:
        json.dump(out, sys.stdout)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(slab_text(out))
    return 0


def slab_text(out, limit=25):
    L = ["per-connection growth (%d connections)" % out["conns"], "",
         "%-28s %8s %9s %11s %11s" % ("slab cache", "objsize", "objs/conn", "obj B/conn",
                                      "slab B/conn")]
    tot_o = tot_s = 0
    for r in out["slab"]:
        tot_o += r["bytes_per_conn"]
        tot_s += r["slab_bytes_per_conn"]
    for r in out["slab"][:limit]:
        L.append("%-28s %8d %9.2f %11.0f %11.0f" % (r["cache"], r["objsize"], r["objs_per_conn"],
                                                     r["bytes_per_conn"], r["slab_bytes_per_conn"]))
    L.append("%-28s %8s %9s %11.0f %11.0f" % ("total (all caches)", "", "", tot_o, tot_s))
    if out.get("baseline") and out.get("loaded"):
        def used(m):
            return m["mem_total_kb"] - m["mem_available_kb"] - m["pcp_pages"] * m["page_kb"]
        b, l = out["baseline"], out["loaded"]
        L.append("")
        L.append("whole system, bytes per connection: used (MemTotal - MemAvailable - per-CPU"
                 " free pages) %.0f; MemFree+pcp drop %.0f; broker RSS growth %s" % (
                     (used(l) - used(b)) * 1024.0 / out["conns"],
                     ((b["mem_free_kb"] + b["pcp_pages"] * b["page_kb"]) -
                      (l["mem_free_kb"] + l["pcp_pages"] * l["page_kb"])) * 1024.0 / out["conns"],
                     "%.0f" % ((l["broker_rss_kb"] - b["broker_rss_kb"]) * 1024.0 / out["conns"])
                     if l.get("broker_rss_kb") is not None and b.get("broker_rss_kb") is not None
                     else "n/a"))
    if out.get("meminfo"):
        L.append("")
        L.append("/proc/meminfo growth, bytes per connection:")
        for k, v in sorted(out["meminfo"].items(), key=lambda i: -abs(i[1])):
            if abs(v) >= 16:
                L.append("  %-18s %9.0f" % (k, v))
    return "\n".join(L) + "\n"


def post(args):
    d = args.dir
    if os.path.isdir(os.path.join(d, "profile")) and not glob.glob(os.path.join(d, "*.perf.data")):
        d = os.path.join(d, "profile")
    ks = os.path.join(d, "kallsyms")
    kargs = ["--kallsyms", ks] if os.path.exists(ks) else []
    meta = {}
    try:
        with open(os.path.join(d, "profile.json")) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        pass
    freq = meta.get("freq", 999)
    env = dict(os.environ, PAGER="cat")
    rc = 0
    for data in sorted(glob.glob(os.path.join(d, "*.perf.data"))):
        tag = data[:-len(".perf.data")]
        if not args.force and os.path.exists(tag + ".json") and \
                os.path.getmtime(tag + ".json") >= os.path.getmtime(data):
            continue
        base = ["perf", "report", "-i", data] + kargs + ["--stdio", "--no-children"]

        def run(cmd, outp, mode="w"):
            with open(outp, mode) as f:
                subprocess.run(cmd, stdout=f, stderr=subprocess.DEVNULL, env=env)
        run(base + ["--sort", "sym", "-g", "none", "--percent-limit", "0.2"], tag + ".sym.txt")
        run(base + ["--sort", "comm,dso", "-g", "none", "--percent-limit", "0.1"], tag + ".dso.txt")
        run(base + ["--sort", "dso,sym", "-g", "none", "--percent-limit", "0.2"], tag + ".dso.txt",
            "a")
        run(base + ["--sort", "sym", "-g", "caller,2,callee", "--percent-limit", "2"],
            tag + ".calls.txt")
        p = subprocess.run(["perf", "script", "-i", data] + kargs +
                           ["-F", "comm,cpu,time,ip,sym,dso"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, env=env)
        a = argparse.Namespace(out=tag, freq=freq, result=tag + ".result.json",
                               label=os.path.basename(tag))
        fold(a, io.StringIO(p.stdout.decode("utf-8", "replace")))
        print("profsum: %s.{txt,json,folded,sym.txt,dso.txt,calls.txt}" % tag, file=sys.stderr)
    for b in sorted(glob.glob(os.path.join(d, "mem.*.loaded.slabinfo"))):
        pfx = b[:-len(".loaded.slabinfo")]
        try:
            with open(pfx + ".result.json") as f:
                lines = [ln for ln in f.read().splitlines() if ln.startswith("{")]
            r = json.loads(lines[-1]) if lines else {}
        except (OSError, ValueError):
            r = {}
        n = r.get("connected") or meta.get("storm_conns")
        if not n:
            continue
        out = {"conns": n, "broker": pfx.rsplit(".", 1)[-1],
               "connects_per_s": r.get("connects_per_s"),
               "slab": slab_diff(pfx + ".baseline.slabinfo", b, n)}
        if os.path.exists(pfx + ".loaded.meminfo"):
            mb, ml = read_meminfo(pfx + ".baseline.meminfo"), read_meminfo(pfx + ".loaded.meminfo")
            out["meminfo"] = {k: (ml[k] - mb.get(k, 0)) * 1024.0 / n for k in ml
                              if ml[k] != mb.get(k, 0)}
        for ph in ("baseline", "loaded"):
            try:
                with open("%s.%s.json" % (pfx, ph)) as f:
                    out[ph] = json.load(f)
            except (OSError, ValueError):
                pass
        with open(pfx + ".json", "w") as f:
            json.dump(out, f)
        with open(pfx + ".txt", "w") as f:
            f.write("%s\n" % out["broker"])
            f.write(slab_text(out))
    return rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("fold")
    a.add_argument("--out", required=True)
    a.add_argument("--freq", type=float, default=999)
    a.add_argument("--result")
    a.add_argument("--label", default="")
    a = sub.add_parser("post")
    a.add_argument("dir")
    a.add_argument("--force", action="store_true")
    a = sub.add_parser("text")
    a.add_argument("json")
    a = sub.add_parser("slab")
    a.add_argument("base")
    a.add_argument("loaded")
    a.add_argument("--meminfo", nargs=2)
    a.add_argument("--conns", type=int, required=True)
    a.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.cmd == "fold":
        return fold(args)
    if args.cmd == "post":
        return post(args)
    if args.cmd == "text":
        with open(args.json) as f:
            sys.stdout.write(text(json.load(f)))
        return 0
    return slab(args)


if __name__ == "__main__":
    sys.exit(main())
