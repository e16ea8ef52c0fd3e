# SPDX-License-Identifier: GPL-2.0
# The pure protocol core: these objects never touch sockets, workqueues or
# netlink. They are compiled into kmqtt.ko (Kbuild), into the userspace unit
# tests (tests/unit) and into the libFuzzer harnesses (tests/fuzz), through
# the shim in shim.h. This list is the single source of truth for all three.
KMQTT_CORE_OBJS := codec.o topic.o retain.o acl.o msg.o session.o engine.o stats.o
KMQTT_CORE_OBJS += broker.o
# The netlink family's policies and request decoders: only the nla_*
# accessors (nl_shim.h), no genetlink, so that fuzz_netlink runs them.
KMQTT_CORE_OBJS += nl_parse.o
