// SPDX-License-Identifier: GPL-2.0
/*
 * mqttctl show | apply: the whole configuration as one file.
 *
 *   # comment
 *   listener ADDRESS PORT
 *   limit KEY VALUE
 *   user NAME HASH                    ($7$... as mosquitto_passwd writes it)
 *   user NAME password PASSWORD       (the rest of the line; hashed by kmqtt)
 *   acl [user NAME] topic|pattern ACCESS FILTER
 *
 * `apply` makes the running configuration exactly the file's, in one
 * transaction (CONFIG_APPLY): listeners not in the file are closed, limits
 * not in the file return to their defaults, users and ACL rules are
 * replaced. A bad file is refused with FILE:LINE: reason and nothing changes.
 * `show` prints the running configuration in this format.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "mqttctl.h"

#define LIST_NEST_MAX	60000

struct listeners {
	struct ctl_addr v[128];
	size_t n;
};

static int show_listener_reply(struct nlattr **tb, void *arg)
{
	struct listeners *l = arg;

	if (l->n < sizeof(l->v) / sizeof(l->v[0]) &&
	    get_listener(tb[KMQTT_A_LISTENER], &l->v[l->n], NULL))
		l->n++;
	return 0;
}

static void show_json(const struct listeners *ls, const uint64_t *limits,
		      const struct user_list *users,
		      const struct acl_list *acl)
{
	char buf[64];
	size_t i;

	printf("{\"listeners\":[");
	for (i = 0; i < ls->n; i++) {
		format_addr(&ls->v[i], buf, sizeof(buf));
		printf("%s{\"address\":", i ? "," : "");
		json_str(stdout, buf);
		printf(",\"port\":%u}", ls->v[i].port);
	}
	printf("],\"limits\":{");
	for (i = 0; i < n_limit_keys; i++) {
		limit_format(&limit_keys[i], limits[i], buf, sizeof(buf));
		printf("%s\"%s\":%s", i ? "," : "", limit_keys[i].name, buf);
	}
	printf("},\"users\":[");
	for (i = 0; i < users->n; i++) {
		printf("%s{\"name\":", i ? "," : "");
		json_str(stdout, users->v[i].name);
		printf(",\"hash\":");
		json_str(stdout, users->v[i].hash);
		putchar('}');
	}
	printf("],\"acl\":[");
	for (i = 0; i < acl->n; i++) {
		const struct acl_rule *r = &acl->v[i];

		printf("%s{\"kind\":\"%s\",\"user\":", i ? "," : "",
		       r->kind == KMQTT_ACL_KIND_PATTERN ? "pattern" : "topic");
		if (r->user)
			json_str(stdout, r->user);
		else
			printf("null");
		printf(",\"access\":\"%s\",\"filter\":",
		       acl_access_name(r->access));
		json_str(stdout, r->filter);
		putchar('}');
	}
	puts("]}");
}

int cmd_show(int argc, char **argv)
{
	struct listeners ls = { .n = 0 };
	struct user_list users = { 0 };
	struct acl_list acl = { 0 };
	char buf[KMQTT_ACL_FILTER_MAX + 400];
	uint64_t limits[32];
	size_t i;

	if (argc > 1 && is_help(argv[1])) {
		puts("usage: mqttctl [-j] show\n"
		     "The running configuration, in the format mqttctl apply reads\n"
		     "(includes password hashes: needs CAP_NET_ADMIN).");
		return 0;
	}
	if (argc > 1)
		usage_error("show takes no arguments");
	ctl_send_or_die(ctl_msg(KMQTT_CMD_LISTENER_GET, NLM_F_DUMP, 0),
			show_listener_reply, &ls, "show");
	limits_get(limits);
	users_fetch(&users);
	acl_fetch(&acl);

	if (opt_json) {
		show_json(&ls, limits, &users, &acl);
		goto out;
	}
	printf("# kmqtt running configuration (mqttctl show); load with: mqttctl apply FILE\n");
	for (i = 0; i < ls.n; i++) {
		format_addr(&ls.v[i], buf, sizeof(buf));
		printf("listener %s %u\n", buf, ls.v[i].port);
	}
	for (i = 0; i < n_limit_keys; i++) {
		limit_format(&limit_keys[i], limits[i], buf, sizeof(buf));
		printf("limit %s %s\n", limit_keys[i].name, buf);
	}
	for (i = 0; i < users.n; i++)
		printf("user %s %s\n", users.v[i].name, users.v[i].hash);
	for (i = 0; i < acl.n; i++) {
		acl_format(&acl.v[i], buf, sizeof(buf));
		printf("acl %s\n", buf);
	}
out:
	user_list_free(&users);
	acl_list_free(&acl);
	return 0;
}

/* ---- apply ---- */

struct apply {
	const char *path;
	struct nl_msg *msg;
	struct line_map map;
	struct nlattr *list;	/* the open list nest, if any */
	long list_start;
	int list_type;
	int limit_line[32];	/* where each limit key was set */
};

static void __attribute__((noreturn, format(printf, 3, 4)))
file_error(struct apply *ap, int line, const char *fmt, ...)
{
	va_list args;

	fflush(stdout);
	fprintf(stderr, "%s:%d: ", ap->path, line);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
	exit(1);
}

/* An element of list @type, in the current list nest or a new one. */
static struct nlattr *apply_element(struct apply *ap, int type)
{
	long tail = ctl_offset(ap->msg, nlmsg_tail(nlmsg_hdr(ap->msg)));

	if (ap->list && (ap->list_type != type ||
			 tail - ap->list_start > LIST_NEST_MAX)) {
		ctl_nest_end(ap->msg, ap->list);
		ap->list = NULL;
	}
	if (!ap->list) {
		ap->list = ctl_nest(ap->msg, type);
		if (!ap->list)
			die("%s: too large", ap->path);
		ap->list_start = ctl_offset(ap->msg, ap->list);
		ap->list_type = type;
	}
	return ctl_nest(ap->msg, 0);
}

static void apply_done_element(struct apply *ap, struct nlattr *e, int line)
{
	ctl_nest_end(ap->msg, e);
	line_map_add(&ap->map, ctl_offset(ap->msg, e),
		     ctl_offset(ap->msg, e) + e->nla_len, line);
}

static void apply_close_list(struct apply *ap)
{
	if (ap->list)
		ctl_nest_end(ap->msg, ap->list);
	ap->list = NULL;
}

static char *next_word(char **s)
{
	char *w = *s;

	while (*w == ' ' || *w == '\t')
		w++;
	if (!*w)
		return NULL;
	*s = w + strcspn(w, " \t");
	if (**s)
		*(*s)++ = '\0';
	return w;
}

int cmd_apply(int argc, char **argv)
{
	struct apply ap = { .path = argc > 1 ? argv[1] : NULL };
	static const int lists[] = { KMQTT_A_LISTENERS, KMQTT_A_USERS,
				     KMQTT_A_ACL_RULES };
	char *buf, *copy, *line, *s, *kw, *a, *b, err[256];
	struct acl_list acl = { 0 };
	const struct limit_key *k;
	struct nlattr *e, *limits;
	struct ctl_err cerr;
	struct ctl_addr addr;
	size_t pos = 0, i, nlisteners = 0;
	int lineno = 0, found;

	if (ap.path && is_help(ap.path)) {
		puts("usage: mqttctl apply FILE|-\n"
		     "Make the running configuration exactly FILE's, atomically: a bad\n"
		     "file is refused with FILE:LINE: reason and nothing changes.\n"
		     "The format is what mqttctl show prints; see mqttctl(8).");
		return 0;
	}
	if (argc != 2)
		usage_error("apply needs FILE (or - for standard input)");
	if (!strcmp(ap.path, "-"))
		ap.path = "<stdin>";
	buf = read_file(argv[1]);
	ap.msg = ctl_msg(KMQTT_CMD_CONFIG_APPLY, 0, 3 * strlen(buf) + 65536);

	/* Limits first (one nest), the lists after, in file order each. */
	copy = strdup(buf);
	if (!copy)
		die("out of memory");
	limits = ctl_nest(ap.msg, KMQTT_A_LIMITS);
	while ((line = next_line(copy, &pos))) {
		lineno++;
		s = trim(line);
		if (strncmp(s, "limit", 5) ||
		    (s[5] && s[5] != ' ' && s[5] != '\t'))
			continue;
		s += 5;
		kw = next_word(&s);
		a = kw ? next_word(&s) : NULL;
		if (!a || next_word(&s))
			file_error(&ap, lineno, "expected: limit KEY VALUE");
		k = limit_find(kw);
		if (!k)
			file_error(&ap, lineno, "unknown limit key '%s'", kw);
		found = (int)(k - limit_keys);
		if (ap.limit_line[found])
			file_error(&ap, lineno, "limit %s already set on line %d",
				   kw, ap.limit_line[found]);
		ap.limit_line[found] = lineno;
		if (limit_put(ap.msg, k, a, err, sizeof(err)))
			file_error(&ap, lineno, "%s", err);
	}
	ctl_nest_end(ap.msg, limits);
	free(copy);

	pos = 0;
	lineno = 0;
	while ((line = next_line(buf, &pos))) {
		lineno++;
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		kw = next_word(&s);
		if (!strcmp(kw, "limit"))
			continue;
		if (!strcmp(kw, "listener")) {
			a = next_word(&s);
			b = a ? next_word(&s) : NULL;
			if (!b || next_word(&s))
				file_error(&ap, lineno,
					   "expected: listener ADDRESS PORT");
			if (parse_addr(a, &addr))
				file_error(&ap, lineno, "bad address '%s'", a);
			if (parse_port(b, &addr.port))
				file_error(&ap, lineno, "bad port '%s'", b);
			if (++nlisteners > 64)
				file_error(&ap, lineno, "too many listeners");
			e = apply_element(&ap, KMQTT_A_LISTENERS);
			if (!e || nla_put_u16(ap.msg, KMQTT_LISTENER_A_FAMILY,
					      addr.family) ||
			    nla_put(ap.msg, KMQTT_LISTENER_A_ADDR,
				    (int)addr.len, addr.addr) ||
			    nla_put_u16(ap.msg, KMQTT_LISTENER_A_PORT,
					addr.port))
				die("%s: too large", ap.path);
			apply_done_element(&ap, e, lineno);
		} else if (!strcmp(kw, "user")) {
			a = next_word(&s);
			b = a ? next_word(&s) : NULL;
			if (!b)
				file_error(&ap, lineno,
					   "expected: user NAME HASH or user NAME password PASSWORD");
			if (strlen(a) > KMQTT_USER_NAME_MAX)
				file_error(&ap, lineno, "user name too long");
			e = apply_element(&ap, KMQTT_A_USERS);
			if (!e || nla_put_string(ap.msg, KMQTT_USER_A_NAME, a))
				die("%s: too large", ap.path);
			if (!strcmp(b, "password")) {
				s = trim(s);
				if (!*s || strlen(s) > KMQTT_PASSWORD_MAX)
					file_error(&ap, lineno,
						   "password missing or too long");
				if (nla_put(ap.msg, KMQTT_USER_A_PASSWORD,
					    (int)strlen(s), s))
					die("%s: too large", ap.path);
			} else {
				if (b[0] != '$' || *trim(s) ||
				    strlen(b) > KMQTT_HASH_MAX)
					file_error(&ap, lineno,
						   "expected a $7$... hash after the user name");
				if (nla_put_string(ap.msg, KMQTT_USER_A_HASH, b))
					die("%s: too large", ap.path);
			}
			apply_done_element(&ap, e, lineno);
		} else if (!strcmp(kw, "acl")) {
			acl_list_free(&acl);
			if (acl_parse_line(s, &acl, lineno, err, sizeof(err)))
				file_error(&ap, lineno, "%s", err);
			e = apply_element(&ap, KMQTT_A_ACL_RULES);
			if (!e || nla_put_u8(ap.msg, KMQTT_ACL_A_KIND,
					     acl.v[0].kind) ||
			    nla_put_u8(ap.msg, KMQTT_ACL_A_ACCESS,
				       acl.v[0].access) ||
			    nla_put_string(ap.msg, KMQTT_ACL_A_FILTER,
					   acl.v[0].filter) ||
			    (acl.v[0].user &&
			     nla_put_string(ap.msg, KMQTT_ACL_A_USER,
					    acl.v[0].user)))
				die("%s: too large", ap.path);
			apply_done_element(&ap, e, lineno);
		} else {
			file_error(&ap, lineno,
				   "unknown keyword '%s' (listener, limit, user or acl)",
				   kw);
		}
	}
	acl_list_free(&acl);
	apply_close_list(&ap);
	/*
	 * An empty nest of each list, so that the kernel replaces a list the
	 * file does not mention with nothing: the file is the whole config.
	 */
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		e = ctl_nest(ap.msg, lists[i]);
		if (!e)
			die("%s: too large", ap.path);
		ctl_nest_end(ap.msg, e);
	}
	free(buf);

	if (ctl_send(ap.msg, NULL, NULL, &cerr)) {
		lineno = line_map_find(&ap.map, cerr.bad_off);
		if (!lineno)
			lineno = line_map_find(&ap.map, cerr.miss_nest);
		if (lineno)
			file_error(&ap, lineno, "%s", ctl_strerror(&cerr));
		die("apply %s: %s", ap.path, ctl_strerror(&cerr));
	}
	free(ap.map.v);
	return 0;
}
