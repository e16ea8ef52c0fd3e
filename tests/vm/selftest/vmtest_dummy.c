// SPDX-License-Identifier: GPL-2.0
/* Harness self-test: a module that loads and unloads and does nothing else. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>

static int __init vmtest_dummy_init(void)
{
	pr_info("loaded\n");
	return 0;
}

static void __exit vmtest_dummy_exit(void)
{
	pr_info("unloaded\n");
}

module_init(vmtest_dummy_init);
module_exit(vmtest_dummy_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmqtt VM harness self-test: no-op module");
