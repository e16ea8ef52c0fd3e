// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test: a deliberate heap out-of-bounds write on module init.
 * The debug kernel's KASAN must report it and tests/vm/run must then fail;
 * tests/vm/selftest.sh checks exactly that. Never load this anywhere else.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/slab.h>

/* volatile so the compiler can neither see nor remove the overflow */
static volatile size_t plant_index = 16;

static int __init kasan_plant_init(void)
{
	char *p = kmalloc(16, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	pr_info("writing one byte past a 16-byte allocation (on purpose)\n");
	p[plant_index] = 'x';
	kfree(p);
	return 0;
}

static void __exit kasan_plant_exit(void)
{
}

module_init(kasan_plant_init);
module_exit(kasan_plant_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmqtt VM harness self-test: planted KASAN bug");
