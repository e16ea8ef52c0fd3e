/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel side of kmqtt: one struct kmqtt_net per network namespace,
 * holding its broker (pure core), its listening sockets, its /proc entries
 * and its $SYS publisher; and the init/exit entry points of each layer.
 */
#ifndef KMQTT_KMQTT_H
#define KMQTT_KMQTT_H

#include <linux/inet.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include "broker.h"

#define KMQTT_VERSION_STR "0.1.0"

/* Listening sockets per namespace (module param and mqttctl together). */
#define KMQTT_MAX_LISTENERS	64
/* Longest "[ipv6]:port" kmqtt_parse_addr() accepts, without the NUL. */
#define KMQTT_ADDR_STR_MAX	(INET6_ADDRSTRLEN + 8)

struct kmqtt_listener {
	struct list_head entry;			/* kmqtt_net.listeners */
	struct sockaddr_storage addr;
	struct socket *sock;
	struct kmqtt_net *kn;
	struct work_struct accept_work;
	void (*saved_data_ready)(struct sock *sk);
	u64 accepted;				/* WRITE_ONCE by accept_work */
	u32 conns;				/* under kn->conns_lock */
};

struct kmqtt_net {
	struct net *net;
	struct kmqtt_broker broker;
	struct mutex lock;			/* listeners, users */
	struct list_head listeners;
	u32 listener_count;
	struct proc_dir_entry *proc_dir;	/* /proc/net/kmqtt */
	struct delayed_work sys_work;		/* $SYS publisher */
	void *users;				/* auth.c: RCU user table */
	void *sys;				/* sys.c: $SYS publisher state */
	u64 started_at;

	/* conn.c: every TCP connection of this namespace. */
	spinlock_t conns_lock;			/* process context only */
	struct list_head conns;
	u32 conn_count;				/* listed + being set up */
	bool conns_closing;			/* netns exit: refuse new ones */
	wait_queue_head_t conns_wait;		/* a connection went away */
	struct delayed_work tick_work;		/* keep-alive, timeouts */
};

extern unsigned int kmqtt_net_id;
extern struct workqueue_struct *kmqtt_wq;
extern struct workqueue_struct *kmqtt_reap_wq;

struct kmqtt_net *kmqtt_net(const struct net *net);

/* listener.c */
int kmqtt_listener_add(struct kmqtt_net *kn,
		       const struct sockaddr_storage *addr);
int kmqtt_listener_remove(struct kmqtt_net *kn,
			  const struct sockaddr_storage *addr);
void kmqtt_listeners_stop_all(struct kmqtt_net *kn);
/* Parse "1.2.3.4:1883" / "[::1]:1883" (module param, mqttctl). */
int kmqtt_parse_addr(const char *s, struct sockaddr_storage *addr);

/*
 * conn.c. kmqtt_conn_start() takes over @sock, just accepted on @l: it
 * becomes a connection, or is closed at once (limit, shutdown, no memory).
 * kmqtt_conns_close() closes every connection accepted by @l (NULL: all of
 * @kn; then call it with the listeners stopped) and waits until they are
 * gone. Both sleep.
 */
void kmqtt_conns_init(struct kmqtt_net *kn);
void kmqtt_conn_start(struct kmqtt_listener *l, struct socket *sock);
void kmqtt_conns_close(struct kmqtt_net *kn, struct kmqtt_listener *l);
/* Refuse new connections, close all, stop the tick: netns exit. */
void kmqtt_conns_exit(struct kmqtt_net *kn);

/* netlink.c */
int kmqtt_netlink_init(void);
void kmqtt_netlink_exit(void);

/* proc.c */
int kmqtt_proc_init(struct kmqtt_net *kn);
void kmqtt_proc_exit(struct kmqtt_net *kn);

/* sys.c */
void kmqtt_sys_start(struct kmqtt_net *kn);
void kmqtt_sys_stop(struct kmqtt_net *kn);

/* auth.c */
extern const struct kmqtt_broker_ops kmqtt_auth_ops;
int kmqtt_auth_init(struct kmqtt_net *kn);
void kmqtt_auth_exit(struct kmqtt_net *kn);

#endif /* KMQTT_KMQTT_H */
