/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netfuzz checker: well-behaved clients beside the fuzz connections.
 *
 * A subscriber (clean session, QoS 1 and QoS 2 subscriptions) and a
 * publisher that sends sequence-numbered QoS 1 and QoS 2 messages all
 * through the run, plus short-lived probe connections that check the broker
 * still accepts new clients. At the end every message the broker
 * acknowledged to the publisher must have reached the subscriber: QoS 1 at
 * least once, QoS 2 exactly once.
 */
#ifndef NF_CHECK_H
#define NF_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* First member of everything registered with epoll. */
enum nf_kind { NF_KIND_FUZZ, NF_KIND_CHECK };

struct nf_check_opts {
	const struct sockaddr_storage *addr;
	socklen_t addrlen;
	const char *tag;
	uint32_t interval_ms;	/* between two publishes */
	uint32_t window;	/* publisher in-flight limit */
	uint32_t max_msgs;	/* bound on messages published */
	uint32_t probe_interval_ms; /* 0: no probes during the run */
	uint32_t timeout_ms;	/* handshake / probe answer timeout */
};

struct nf_check_result {
	bool subscribed;	/* CONNACK 0 and SUBACK granted 1 and 2 */
	char sub_error[128];
	bool conns_stayed_up;
	char conn_error[128];
	uint64_t published[3];	/* by QoS: acknowledged by the broker */
	uint64_t unconfirmed[3];	/* sent, never acknowledged */
	uint64_t checked[3];	/* = published */
	uint64_t lost[3];
	uint64_t duplicated[3];	/* messages received more than once */
	uint64_t wrong_qos;	/* delivered at another QoS than subscribed */
	uint64_t out_of_order;
	uint64_t foreign;	/* deliveries we did not publish */
	uint64_t probes_ok, probes_failed;
	char probe_error[128];
};

struct nf_checker;

struct nf_checker *nf_check_new(int epfd, const struct nf_check_opts *o);
void nf_check_free(struct nf_checker *c);
/* Open the subscriber and publisher. */
void nf_check_start(struct nf_checker *c);
/* An epoll event for a checker connection (@ptr is the epoll data). */
void nf_check_event(struct nf_checker *c, void *ptr, uint32_t events);
/* Timers: publishing, keep-alive, probes. Returns the next deadline (ms). */
int64_t nf_check_tick(struct nf_checker *c, int64_t now);
/* True once subscribed and publishing (or failed for good). */
bool nf_check_ready(struct nf_checker *c);
bool nf_check_failed(struct nf_checker *c);
void nf_check_stop_publishing(struct nf_checker *c);
/* All acknowledged messages delivered and nothing in flight. */
bool nf_check_drained(struct nf_checker *c);
/* Start the final probe; nf_check_probe_done() says when it finished. */
void nf_check_final_probe(struct nf_checker *c);
bool nf_check_probe_done(struct nf_checker *c, bool *ok);
void nf_check_result(struct nf_checker *c, struct nf_check_result *r);
/* Progress for status lines. */
uint64_t nf_check_sent(struct nf_checker *c);
uint64_t nf_check_received(struct nf_checker *c);

#endif /* NF_CHECK_H */
