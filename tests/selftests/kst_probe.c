// SPDX-License-Identifier: GPL-2.0
/*
 * Does a broker answer at KMQTT_HOST:KMQTT_PORT?  CONNECT, expect CONNACK 0,
 * DISCONNECT.  Retries while the port refuses connections (broker starting)
 * for up to KMQTT_PROBE_WAIT seconds (default 30).  Exit 0 when it answers.
 * run_kselftest.sh runs it first so that a missing or silent broker costs
 * one line instead of every test's timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "mqtt_raw.h"

int main(void)
{
	struct mq_connect_opts o = { .id = "kst-probe", .clean = 1,
				     .keepalive = 60 };
	const char *w = getenv("KMQTT_PROBE_WAIT");
	int wait_s = (w ? atoi(w) : 30) * mq_scale();
	time_t end = time(NULL) + wait_s;
	int rc = -1, fd;

	for (;;) {
		fd = mq_connect_raw(&o, &rc, NULL);
		if (fd >= 0 && rc == 0) {
			mq_disconnect(fd);
			return 0;
		}
		if (fd >= 0)
			close(fd);
		if (time(NULL) >= end)
			break;
		sleep(1);
	}
	fprintf(stderr, "no CONNACK 0 from %s:%d within %d s (%s)\n",
		mq_host(), mq_port(), wait_s,
		fd < 0 ? "connection refused" : rc < 0 ? "no answer" : "refused");
	return 1;
}
