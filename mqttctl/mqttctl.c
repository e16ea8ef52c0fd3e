// SPDX-License-Identifier: GPL-2.0
/*
 * mqttctl: manage the kmqtt in-kernel MQTT broker over generic netlink.
 *
 *   mqttctl [-j] OBJECT [COMMAND [ARGS...]]
 *
 * Every command acts on the broker of the caller's network namespace (use
 * `ip netns exec NS mqttctl ...` for another). Errors are one line on
 * standard error and a non-zero exit status.
 */
#include <stdlib.h>
#include <string.h>
#include "mqttctl.h"

bool opt_json;

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "listener", cmd_listener, "add|del ADDRESS PORT, list" },
	{ "limit", cmd_limit, "set KEY VALUE..., show" },
	{ "user", cmd_user, "add NAME [--password-stdin|--password P|--hash H], del NAME, list, import FILE" },
	{ "acl", cmd_acl, "add [user NAME] topic|pattern ACCESS FILTER, del N, list, load FILE, flush" },
	{ "client", cmd_client, "list, kick ID, del ID" },
	{ "retained", cmd_retained, "list [FILTER], del TOPIC|FILTER" },
	{ "stats", cmd_stats, "counters and gauges" },
	{ "show", cmd_show, "the running configuration, in apply format" },
	{ "apply", cmd_apply, "FILE: replace the whole configuration atomically" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mqttctl [-j|--json] OBJECT [COMMAND [ARGS...]]\n"
		"       mqttctl OBJECT help\n\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n-j prints listings as JSON. Commands act on the broker of the current\n"
		"network namespace; changes need CAP_NET_ADMIN. See mqttctl(8).\n");
}

int main(int argc, char **argv)
{
	int i = 1;
	size_t c;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			opt_json = true;
		} else if (is_help(argv[i])) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-V") ||
			   !strcmp(argv[i], "--version")) {
			printf("mqttctl %s (kmqtt netlink ABI version %d)\n",
			       MQTTCTL_VERSION, KMQTT_GENL_VERSION);
			return 0;
		} else {
			usage_error("unknown option '%s'", argv[i]);
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return 0;
	}
	for (c = 0; c < N_COMMANDS; c++) {
		if (strcmp(argv[i], commands[c].name))
			continue;
		/* A trailing -j is accepted too: "mqttctl client list -j". */
		if (argc - i > 1 && (!strcmp(argv[argc - 1], "-j") ||
				     !strcmp(argv[argc - 1], "--json"))) {
			opt_json = true;
			argc--;
		}
		return commands[c].fn(argc - i, argv + i);
	}
	usage_error("unknown object '%s'", argv[i]);
}
