// SPDX-License-Identifier: GPL-2.0
/*
 * kmqtt_test.ko: KUnit suites for kmqtt's pure core. Loading it runs every
 * suite (results in the kernel log and /sys/kernel/debug/kunit/); it holds
 * its own copy of the core, so it does not need kmqtt.ko.
 */
#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for the kmqtt MQTT broker");
