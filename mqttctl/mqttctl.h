/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mqttctl: the kmqtt control tool. Shared declarations.
 */
#ifndef MQTTCTL_H
#define MQTTCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include "../uapi/kmqtt.h"

#define MQTTCTL_VERSION "0.1.0"

extern bool opt_json;		/* -j: JSON output */

/* ---- nl.c: talking to the kernel ---- */

/* What the kernel said when it refused a request. */
struct ctl_err {
	int err;		/* negative errno, 0 = none */
	char msg[256];		/* extended ACK message, may be empty */
	long bad_off;		/* offset of the offending attribute, or -1 */
	long miss_nest;		/* offset of the nest missing an attribute */
	int miss_type;		/* type of the missing attribute, or 0 */
};

/* Called for each reply message with its top-level attributes. */
typedef int (*ctl_reply_fn)(struct nlattr **tb, void *arg);

/* Open the socket and find the family; exits with one line on failure. */
void ctl_open(void);
/* A request for @cmd (NLM_F_DUMP in @flags for listings), @size bytes. */
struct nl_msg *ctl_msg(int cmd, int flags, size_t size);
/*
 * Send @msg (freed), call @fn for each reply message, wait for the ACK or
 * the end of the dump. Returns 0, or the negative errno with @err filled.
 */
int ctl_send(struct nl_msg *msg, ctl_reply_fn fn, void *arg,
	     struct ctl_err *err);
/* Send, and on failure print "mqttctl: WHAT: reason" and exit 1. */
void ctl_send_or_die(struct nl_msg *msg, ctl_reply_fn fn, void *arg,
		     const char *what);
/* The one-line reason for a refused request. */
const char *ctl_strerror(const struct ctl_err *e);
/* Offset of @a inside @msg, for mapping extended ACKs back to input. */
long ctl_offset(struct nl_msg *msg, const void *a);

/* Start a nest with NLA_F_NESTED, as strict kernel policies require. */
struct nlattr *ctl_nest(struct nl_msg *msg, int type);
/* End a nest, keeping it even when empty (nla_nest_end() drops those). */
void ctl_nest_end(struct nl_msg *msg, struct nlattr *nest);

/* Safe readers for reply attributes (absent or short: 0 / ""). */
uint8_t ctl_u8(const struct nlattr *a);
uint16_t ctl_u16(const struct nlattr *a);
uint32_t ctl_u32(const struct nlattr *a);
uint64_t ctl_u64(const struct nlattr *a);
const char *ctl_str(const struct nlattr *a);
/* Parse a nest into @tb (@max + 1 entries); false if malformed. */
bool ctl_parse_nested(struct nlattr **tb, int max, struct nlattr *nest);

/* ---- util.c ---- */

void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...);
void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt,
								 ...);

/* JSON output: strings escaped, bytes that are not text as \u00XX. */
void json_str(FILE *f, const char *s);
void json_bytes(FILE *f, const void *p, size_t n);
void json_base64(FILE *f, const void *p, size_t n);

/* "1.2.3.4", "::1", "[::1]" -> family + address bytes. */
struct ctl_addr {
	int family;
	unsigned char addr[16];
	size_t len;
	uint16_t port;
};

int parse_addr(const char *s, struct ctl_addr *a);
int parse_port(const char *s, uint16_t *port);
void format_addr(const struct ctl_addr *a, char *buf, size_t size);
int put_listener(struct nl_msg *msg, int type, const struct ctl_addr *a);
bool get_listener(struct nlattr *nest, struct ctl_addr *a, uint64_t *accepted);

/* Whole decimal number with an optional k/m/g suffix (x1024). */
int parse_u64(const char *s, bool suffixes, uint64_t *out);

/* ---- limits (cmd_basic.c) ---- */

enum limit_type { LT_U8_BOOL, LT_U16, LT_U32, LT_U64 };

struct limit_key {
	const char *name;
	int attr;
	enum limit_type type;
	uint64_t min, max;
	bool size;		/* accepts k/m/g */
	bool zero_unlimited;	/* accepts "unlimited" for 0 */
	const char *help;
};

extern const struct limit_key limit_keys[];
extern const size_t n_limit_keys;
const struct limit_key *limit_find(const char *name);
/* Parse @value for @k and put it into @msg; message in @errbuf on error. */
int limit_put(struct nl_msg *msg, const struct limit_key *k,
	      const char *value, char *errbuf, size_t errsize);
/* Read the running limits: values indexed like limit_keys. */
void limits_get(uint64_t *values);
void limit_format(const struct limit_key *k, uint64_t v, char *buf,
		  size_t size);

/* ---- ACL rules and users, as mqttctl holds them (cmd_access.c) ---- */

struct acl_rule {
	int kind;		/* KMQTT_ACL_KIND_* */
	int access;		/* KMQTT_ACL_ACCESS_* */
	char *user;		/* KMQTT_ACL_KIND_USER_TOPIC only */
	char *filter;
	int line;		/* source line, for messages */
};

struct acl_list {
	struct acl_rule *v;
	size_t n, cap;
};

void acl_list_add(struct acl_list *l, int kind, int access, const char *user,
		  const char *filter, int line);
void acl_list_free(struct acl_list *l);
/* Fetch the running rules. */
void acl_fetch(struct acl_list *l);
const char *acl_access_name(int access);
int acl_access_parse(const char *s);
/* "topic read a/b", "user NAME topic read a/b", "pattern write x/%c" */
void acl_format(const struct acl_rule *r, char *buf, size_t size);
/*
 * Parse "[user NAME] topic|pattern ACCESS FILTER" (FILTER: the rest of the
 * line, trimmed) and append the rule to @l. 0, or -EINVAL with a message.
 */
int acl_parse_line(const char *s, struct acl_list *l, int line, char *errbuf,
		   size_t errsize);
/* Mosquitto acl_file syntax; exits with FILE:LINE: message on error. */
void acl_load_file(const char *path, struct acl_list *l);
/* Put the rules as KMQTT_A_ACL_RULES lists; line offsets in @map. */
struct line_map;
int acl_put(struct nl_msg *msg, const struct acl_list *l,
	    struct line_map *map);

struct user_entry {
	char *name;
	char *hash;		/* "$7$..." */
};

struct user_list {
	struct user_entry *v;
	size_t n, cap;
};

void users_fetch(struct user_list *l);
const char *hash_scheme(const char *hash, unsigned long *iterations);
void user_list_free(struct user_list *l);

/* Offsets of the netlink nests built from each input line. */
struct line_map {
	struct {
		long start, end;
		int line;
	} *v;
	size_t n, cap;
};

void line_map_add(struct line_map *m, long start, long end, int line);
int line_map_find(const struct line_map *m, long off);

/* ---- commands ---- */

int cmd_listener(int argc, char **argv);
int cmd_limit(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_acl(int argc, char **argv);
int cmd_client(int argc, char **argv);
int cmd_retained(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_apply(int argc, char **argv);

/* Read all of @path ("-": stdin) into a NUL-terminated buffer. */
char *read_file(const char *path);
/* Next line of @buf at *@pos (NUL-terminated in place), or NULL. */
char *next_line(char *buf, size_t *pos);
/* Trim white space at both ends, in place. */
char *trim(char *s);

/* Is argv[i] a request for help? */
bool is_help(const char *s);

#endif /* MQTTCTL_H */
