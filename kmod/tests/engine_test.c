// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites kmqtt-engine, kmqtt-delivery and kmqtt-session: the shared
 * cases of engine_cases.h, delivery_cases.h and session_cases.h (also run in
 * userspace by tests/unit/engine_test.c and session_test.c), against the
 * real kernel primitives: mutexes, bh spinlocks, RCU, slab, lockdep.
 */
#include "kt_kunit.h"
#include "engine_cases.h"
#include "delivery_cases.h"
#include "session_cases.h"
#include "conformance_cases.h"

KMQTT_KUNIT_SUITE(engine, engine_cases);
KMQTT_KUNIT_SUITE(delivery, delivery_cases);
KMQTT_KUNIT_SUITE(session, session_cases);
KMQTT_KUNIT_SUITE(conformance, conformance_cases);
