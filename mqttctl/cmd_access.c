// SPDX-License-Identifier: GPL-2.0
/*
 * mqttctl user | acl
 *
 * The kernel replaces the rule list as a whole (ACL_SET), so `acl add` and
 * `acl del` read the running list, change it and send it back.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "mqttctl.h"

/* A list nest may hold at most 64 KiB: start a new one well before. */
#define LIST_NEST_MAX	60000

/* ---- ACL rules ---- */

static const char *const access_names[] = {
	[KMQTT_ACL_ACCESS_READ] = "read",
	[KMQTT_ACL_ACCESS_WRITE] = "write",
	[KMQTT_ACL_ACCESS_READWRITE] = "readwrite",
	[KMQTT_ACL_ACCESS_DENY] = "deny",
};

const char *acl_access_name(int access)
{
	if (access < KMQTT_ACL_ACCESS_READ || access > KMQTT_ACL_ACCESS_MAX)
		return "?";
	return access_names[access];
}

int acl_access_parse(const char *s)
{
	int i;

	for (i = KMQTT_ACL_ACCESS_READ; i <= KMQTT_ACL_ACCESS_MAX; i++)
		if (!strcmp(s, access_names[i]))
			return i;
	return -1;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die("out of memory");
	return p;
}

void acl_list_add(struct acl_list *l, int kind, int access, const char *user,
		  const char *filter, int line)
{
	struct acl_rule *r;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			die("out of memory");
	}
	r = &l->v[l->n++];
	r->kind = kind;
	r->access = access;
	r->user = user ? xstrdup(user) : NULL;
	r->filter = xstrdup(filter);
	r->line = line;
}

void acl_list_free(struct acl_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].user);
		free(l->v[i].filter);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void acl_format(const struct acl_rule *r, char *buf, size_t size)
{
	if (r->kind == KMQTT_ACL_KIND_USER_TOPIC)
		snprintf(buf, size, "user %s topic %s %s", r->user,
			 acl_access_name(r->access), r->filter);
	else
		snprintf(buf, size, "%s %s %s",
			 r->kind == KMQTT_ACL_KIND_PATTERN ? "pattern" : "topic",
			 acl_access_name(r->access), r->filter);
}

/* Cut the next white-space separated word off *@s. */
static char *word(char **s)
{
	char *w, *p = *s;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return NULL;
	w = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	if (*p)
		*p++ = '\0';
	*s = p;
	return w;
}

int acl_parse_line(const char *line, struct acl_list *l, int lineno,
		   char *err, size_t errsize)
{
	char *copy = xstrdup(line), *s = copy, *w, *user = NULL, *filter;
	int kind, access, ret = -EINVAL;

	w = word(&s);
	if (w && !strcmp(w, "user")) {
		user = word(&s);
		if (!user) {
			snprintf(err, errsize, "user needs a name");
			goto out;
		}
		w = word(&s);
	}
	if (!w || (strcmp(w, "topic") && strcmp(w, "pattern"))) {
		snprintf(err, errsize,
			 "expected [user NAME] topic|pattern ACCESS FILTER");
		goto out;
	}
	kind = !strcmp(w, "pattern") ? KMQTT_ACL_KIND_PATTERN :
	       user ? KMQTT_ACL_KIND_USER_TOPIC : KMQTT_ACL_KIND_TOPIC;
	if (user && kind == KMQTT_ACL_KIND_PATTERN) {
		snprintf(err, errsize,
			 "pattern rules apply to every user: no 'user NAME'");
		goto out;
	}
	w = word(&s);
	access = w ? acl_access_parse(w) : -1;
	if (access < 0) {
		snprintf(err, errsize,
			 "access must be read, write, readwrite or deny");
		goto out;
	}
	filter = trim(s);
	if (!*filter) {
		snprintf(err, errsize, "topic filter missing");
		goto out;
	}
	if (strlen(filter) > KMQTT_ACL_FILTER_MAX ||
	    (user && strlen(user) > KMQTT_USER_NAME_MAX)) {
		snprintf(err, errsize, "filter or user name too long");
		goto out;
	}
	acl_list_add(l, kind, access, user, filter, lineno);
	ret = 0;
out:
	free(copy);
	return ret;
}

/* Mosquitto's acl_file: "user NAME", "topic [ACCESS] T", "pattern ...". */
void acl_load_file(const char *path, struct acl_list *l)
{
	char *buf = read_file(path), *line, *s, *w, *user = NULL;
	size_t pos = 0;
	int lineno = 0, kind, access;

	while ((line = next_line(buf, &pos))) {
		lineno++;
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		w = word(&s);
		if (!strcmp(w, "user")) {
			free(user);
			user = xstrdup(trim(s));
			if (!*user || strlen(user) > KMQTT_USER_NAME_MAX)
				die("%s:%d: bad user name", path, lineno);
			continue;
		}
		if (strcmp(w, "topic") && strcmp(w, "pattern"))
			die("%s:%d: expected user, topic or pattern", path,
			    lineno);
		kind = !strcmp(w, "pattern") ? KMQTT_ACL_KIND_PATTERN :
		       user ? KMQTT_ACL_KIND_USER_TOPIC : KMQTT_ACL_KIND_TOPIC;
		/* The access word is optional: readwrite by default. */
		while (isspace((unsigned char)*s))
			s++;
		access = KMQTT_ACL_ACCESS_READWRITE;
		{
			size_t n = strcspn(s, " \t");
			char a[16];

			if (n < sizeof(a)) {
				memcpy(a, s, n);
				a[n] = '\0';
				if (acl_access_parse(a) > 0) {
					access = acl_access_parse(a);
					s += n;
				}
			}
		}
		s = trim(s);
		if (!*s)
			die("%s:%d: topic filter missing", path, lineno);
		if (strlen(s) > KMQTT_ACL_FILTER_MAX)
			die("%s:%d: topic filter too long", path, lineno);
		acl_list_add(l, kind, access,
			     kind == KMQTT_ACL_KIND_USER_TOPIC ? user : NULL, s,
			     lineno);
	}
	free(user);
	free(buf);
}

static int acl_reply(struct nlattr **tb, void *arg)
{
	struct nlattr *r[KMQTT_ACL_A_MAX + 1];

	if (!ctl_parse_nested(r, KMQTT_ACL_A_MAX, tb[KMQTT_A_ACL_RULE]))
		return 0;
	acl_list_add(arg, ctl_u8(r[KMQTT_ACL_A_KIND]),
		     ctl_u8(r[KMQTT_ACL_A_ACCESS]),
		     r[KMQTT_ACL_A_USER] ? ctl_str(r[KMQTT_ACL_A_USER]) : NULL,
		     ctl_str(r[KMQTT_ACL_A_FILTER]), 0);
	return 0;
}

void acl_fetch(struct acl_list *l)
{
	ctl_send_or_die(ctl_msg(KMQTT_CMD_ACL_GET, NLM_F_DUMP, 0), acl_reply,
			l, "acl list");
}

int acl_put(struct nl_msg *msg, const struct acl_list *l,
	    struct line_map *map)
{
	struct nlattr *list = NULL, *e;
	long list_start = 0;
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct acl_rule *r = &l->v[i];

		if (list && ctl_offset(msg, nlmsg_tail(nlmsg_hdr(msg))) -
			    list_start > LIST_NEST_MAX) {
			ctl_nest_end(msg, list);
			list = NULL;
		}
		if (!list) {
			list = ctl_nest(msg, KMQTT_A_ACL_RULES);
			if (!list)
				return -ENOSPC;
			list_start = ctl_offset(msg, list);
		}
		e = ctl_nest(msg, 0);
		if (!e || nla_put_u8(msg, KMQTT_ACL_A_KIND, r->kind) ||
		    nla_put_u8(msg, KMQTT_ACL_A_ACCESS, r->access) ||
		    nla_put_string(msg, KMQTT_ACL_A_FILTER, r->filter) ||
		    (r->user && nla_put_string(msg, KMQTT_ACL_A_USER, r->user)))
			return -ENOSPC;
		ctl_nest_end(msg, e);
		if (map)
			line_map_add(map, ctl_offset(msg, e),
				     ctl_offset(msg, e) + e->nla_len, r->line);
	}
	if (!list)
		list = ctl_nest(msg, KMQTT_A_ACL_RULES);
	if (!list)
		return -ENOSPC;
	ctl_nest_end(msg, list);
	return 0;
}

static size_t acl_msg_size(const struct acl_list *l)
{
	size_t i, n = 8192;

	for (i = 0; i < l->n; i++)
		n += 64 + strlen(l->v[i].filter) +
		     (l->v[i].user ? strlen(l->v[i].user) : 0);
	return n;
}

/* Send @l as the whole rule list; errors name the rule's line in @path. */
static void acl_set(const struct acl_list *l, const char *what,
		    const char *path)
{
	struct line_map map = { 0 };
	struct nl_msg *msg;
	struct ctl_err e;
	int line;

	msg = ctl_msg(KMQTT_CMD_ACL_SET, 0, acl_msg_size(l));
	if (acl_put(msg, l, &map))
		die("%s: too many rules for one message", what);
	if (ctl_send(msg, NULL, NULL, &e)) {
		line = line_map_find(&map, e.bad_off >= 0 ? e.bad_off :
				     e.miss_nest);
		if (path && line)
			die("%s:%d: %s", path, line, ctl_strerror(&e));
		die("%s: %s", what, ctl_strerror(&e));
	}
	free(map.v);
}

static void acl_usage(void)
{
	puts("usage: mqttctl [-j] acl list\n"
	     "       mqttctl acl add [user NAME] topic|pattern ACCESS FILTER\n"
	     "       mqttctl acl del N          (N as numbered by acl list)\n"
	     "       mqttctl acl load FILE      (Mosquitto acl_file syntax; replaces all rules)\n"
	     "       mqttctl acl flush          (no rules: everything allowed)\n"
	     "ACCESS: read, write, readwrite or deny. 'topic' rules without a user\n"
	     "apply to anonymous clients, as in Mosquitto; pattern rules to everyone,\n"
	     "with %c (client id) and %u (username) expanded. With any rule, what no\n"
	     "rule grants is denied. Changes apply to connected clients at once.");
}

int cmd_acl(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	struct acl_list l = { 0 };
	char buf[KMQTT_ACL_FILTER_MAX + 400], err[200];
	size_t i, len = 0;
	uint64_t n;
	int a;

	if (is_help(sub)) {
		acl_usage();
		return 0;
	}
	if (!strcmp(sub, "list") || !strcmp(sub, "show")) {
		acl_fetch(&l);
		if (opt_json)
			putchar('[');
		for (i = 0; i < l.n; i++) {
			struct acl_rule *r = &l.v[i];

			if (!opt_json) {
				acl_format(r, buf, sizeof(buf));
				printf("%zu %s\n", i + 1, buf);
				continue;
			}
			printf("%s{\"index\":%zu,\"kind\":\"%s\",\"user\":",
			       i ? "," : "", i + 1,
			       r->kind == KMQTT_ACL_KIND_PATTERN ? "pattern" :
			       "topic");
			if (r->user)
				json_str(stdout, r->user);
			else
				printf("null");
			printf(",\"access\":\"%s\",\"filter\":",
			       acl_access_name(r->access));
			json_str(stdout, r->filter);
			putchar('}');
		}
		if (opt_json)
			puts("]");
	} else if (!strcmp(sub, "add")) {
		if (argc < 5)
			usage_error("acl add needs [user NAME] topic|pattern ACCESS FILTER");
		buf[0] = '\0';
		for (a = 2; a < argc; a++) {
			size_t w = strlen(argv[a]);

			if (len + w + 2 > sizeof(buf))
				die("acl add: rule too long");
			memcpy(buf + len, argv[a], w);
			len += w;
			buf[len++] = a + 1 < argc ? ' ' : '\0';
		}
		acl_fetch(&l);
		if (acl_parse_line(buf, &l, 0, err, sizeof(err)))
			die("acl add: %s", err);
		acl_set(&l, "acl add", NULL);
	} else if (!strcmp(sub, "del")) {
		if (argc != 3 || parse_u64(argv[2], false, &n) || n < 1)
			usage_error("acl del needs a rule number (see acl list)");
		acl_fetch(&l);
		if (n > l.n)
			die("acl del: there is no rule %s (%zu rules)", argv[2],
			    l.n);
		free(l.v[n - 1].user);
		free(l.v[n - 1].filter);
		memmove(&l.v[n - 1], &l.v[n], (l.n - n) * sizeof(l.v[0]));
		l.n--;
		acl_set(&l, "acl del", NULL);
	} else if (!strcmp(sub, "load")) {
		if (argc != 3)
			usage_error("acl load needs FILE");
		acl_load_file(argv[2], &l);
		acl_set(&l, "acl load", argv[2]);
	} else if (!strcmp(sub, "flush") || !strcmp(sub, "clear")) {
		acl_set(&l, "acl flush", NULL);
	} else {
		usage_error("unknown acl command '%s'", sub);
	}
	acl_list_free(&l);
	return 0;
}

/* ---- users ---- */

const char *hash_scheme(const char *hash, unsigned long *iterations)
{
	*iterations = 0;
	if (!strncmp(hash, "$7$", 3)) {
		*iterations = strtoul(hash + 3, NULL, 10);
		return "pbkdf2-sha512";
	}
	if (!strncmp(hash, "$6$", 3)) {
		*iterations = 1;
		return "sha512";
	}
	return "?";
}

static int user_reply(struct nlattr **tb, void *arg)
{
	struct nlattr *u[KMQTT_USER_A_MAX + 1];
	struct user_list *l = arg;

	if (!ctl_parse_nested(u, KMQTT_USER_A_MAX, tb[KMQTT_A_USER]))
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			die("out of memory");
	}
	l->v[l->n].name = xstrdup(ctl_str(u[KMQTT_USER_A_NAME]));
	l->v[l->n].hash = xstrdup(ctl_str(u[KMQTT_USER_A_HASH]));
	l->n++;
	return 0;
}

static int user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct user_entry *)a)->name,
		      ((const struct user_entry *)b)->name);
}

void users_fetch(struct user_list *l)
{
	ctl_send_or_die(ctl_msg(KMQTT_CMD_USER_GET, NLM_F_DUMP, 0), user_reply,
			l, "user list");
	if (l->n)
		qsort(l->v, l->n, sizeof(l->v[0]), user_cmp);
}

void user_list_free(struct user_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].hash);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* One line from stdin, without its newline; no echo on a terminal. */
static char *read_password(const char *prompt)
{
	struct termios old, quiet;
	bool tty = isatty(0) && prompt;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (tty) {
		fputs(prompt, stderr);
		tcgetattr(0, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
	}
	n = getline(&line, &cap, stdin);
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n < 0)
		die("user add: no password on standard input");
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

static bool valid_name(const char *name)
{
	const char *p;

	if (!*name || strlen(name) > KMQTT_USER_NAME_MAX)
		return false;
	for (p = name; *p; p++)
		if (isspace((unsigned char)*p) || *p == ':')
			return false;
	return true;
}

static void user_usage(void)
{
	puts("usage: mqttctl user add NAME [--password-stdin | --password P | --hash HASH]\n"
	     "                             [--iterations N]\n"
	     "       mqttctl user del NAME\n"
	     "       mqttctl [-j] user list\n"
	     "       mqttctl user import FILE   (a mosquitto_passwd file; replaces all users)\n"
	     "Without a password option the password is read from the terminal (twice)\n"
	     "or from standard input. The kernel stores only a salted PBKDF2-SHA512 hash,\n"
	     "in mosquitto_passwd's $7$ format; --hash takes such a hash as it is.\n"
	     "While no user exists, usernames are not checked.");
}

static int user_add(int argc, char **argv)
{
	const char *name = argv[2], *pw = NULL, *hash = NULL;
	char *owned = NULL, *again;
	struct nlattr *nest;
	struct nl_msg *msg;
	char what[300];
	uint64_t iter = 0;
	int a;

	if (!valid_name(name))
		die("user add: bad user name '%s' (1..%d bytes, no spaces or ':')",
		    name, KMQTT_USER_NAME_MAX);
	for (a = 3; a < argc; a++) {
		if (!strcmp(argv[a], "--password-stdin")) {
			owned = read_password(NULL);
			pw = owned;
		} else if (!strcmp(argv[a], "--password") && a + 1 < argc) {
			pw = argv[++a];
		} else if (!strcmp(argv[a], "--hash") && a + 1 < argc) {
			hash = argv[++a];
		} else if (!strcmp(argv[a], "--iterations") && a + 1 < argc) {
			if (parse_u64(argv[++a], false, &iter) || iter < 1 ||
			    iter > KMQTT_PBKDF2_MAX_ITERATIONS)
				die("user add: iterations must be 1..%d",
				    KMQTT_PBKDF2_MAX_ITERATIONS);
		} else {
			usage_error("user add: unknown option '%s'", argv[a]);
		}
	}
	if (pw && hash)
		usage_error("user add: give a password or a hash, not both");
	if (hash && iter)
		usage_error("user add: --iterations goes with a password");
	if (!pw && !hash) {
		owned = read_password("Password: ");
		if (isatty(0)) {
			again = read_password("Reenter password: ");
			if (strcmp(owned, again))
				die("user add: passwords do not match");
			free(again);
		}
		pw = owned;
	}
	if (pw && strlen(pw) > KMQTT_PASSWORD_MAX)
		die("user add: password longer than %d bytes",
		    KMQTT_PASSWORD_MAX);
	msg = ctl_msg(KMQTT_CMD_USER_ADD, 0, 0);
	nest = ctl_nest(msg, KMQTT_A_USER);
	nla_put_string(msg, KMQTT_USER_A_NAME, name);
	if (hash)
		nla_put_string(msg, KMQTT_USER_A_HASH, hash);
	else
		nla_put(msg, KMQTT_USER_A_PASSWORD, (int)strlen(pw), pw);
	if (iter)
		nla_put_u32(msg, KMQTT_USER_A_ITERATIONS, (uint32_t)iter);
	ctl_nest_end(msg, nest);
	if (owned) {
		memset(owned, 0, strlen(owned));
		free(owned);
	}
	snprintf(what, sizeof(what), "user add %s", name);
	ctl_send_or_die(msg, NULL, NULL, what);
	return 0;
}

/* A mosquitto_passwd file: NAME:HASH lines (NAME:PASSWORD is hashed). */
static int user_import(const char *path)
{
	char *buf = read_file(path), *line, *colon, *s;
	struct line_map map = { 0 };
	struct nlattr *list, *e;
	struct nl_msg *msg;
	struct ctl_err err;
	size_t pos = 0;
	int lineno = 0;

	msg = ctl_msg(KMQTT_CMD_CONFIG_APPLY, 0, 2 * strlen(buf) + 8192);
	list = ctl_nest(msg, KMQTT_A_USERS);
	while ((line = next_line(buf, &pos))) {
		lineno++;
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		colon = strchr(s, ':');
		if (!colon)
			die("%s:%d: expected NAME:HASH", path, lineno);
		*colon = '\0';
		if (!valid_name(s))
			die("%s:%d: bad user name", path, lineno);
		if (ctl_offset(msg, nlmsg_tail(nlmsg_hdr(msg))) -
		    ctl_offset(msg, list) > LIST_NEST_MAX) {
			ctl_nest_end(msg, list);
			list = ctl_nest(msg, KMQTT_A_USERS);
		}
		e = ctl_nest(msg, 0);
		if (!e || nla_put_string(msg, KMQTT_USER_A_NAME, s))
			die("%s: too large", path);
		if (colon[1] == '$' ? nla_put_string(msg, KMQTT_USER_A_HASH,
						     colon + 1) :
		    nla_put(msg, KMQTT_USER_A_PASSWORD, (int)strlen(colon + 1),
			    colon + 1))
			die("%s: too large", path);
		ctl_nest_end(msg, e);
		line_map_add(&map, ctl_offset(msg, e),
			     ctl_offset(msg, e) + e->nla_len, lineno);
	}
	ctl_nest_end(msg, list);
	free(buf);
	if (ctl_send(msg, NULL, NULL, &err)) {
		lineno = line_map_find(&map, err.bad_off >= 0 ? err.bad_off :
				       err.miss_nest);
		if (lineno)
			die("%s:%d: %s", path, lineno, ctl_strerror(&err));
		die("user import: %s", ctl_strerror(&err));
	}
	free(map.v);
	return 0;
}

int cmd_user(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	struct user_list l = { 0 };
	unsigned long iter;
	const char *scheme;
	struct nl_msg *msg;
	struct nlattr *nest;
	char what[300];
	size_t i;

	if (is_help(sub)) {
		user_usage();
		return 0;
	}
	if (!strcmp(sub, "list") || !strcmp(sub, "show")) {
		users_fetch(&l);
		if (opt_json)
			putchar('[');
		for (i = 0; i < l.n; i++) {
			scheme = hash_scheme(l.v[i].hash, &iter);
			if (opt_json) {
				printf("%s{\"name\":", i ? "," : "");
				json_str(stdout, l.v[i].name);
				printf(",\"scheme\":\"%s\",\"iterations\":%lu}",
				       scheme, iter);
			} else {
				printf("%s %s %lu\n", l.v[i].name, scheme,
				       iter);
			}
		}
		if (opt_json)
			puts("]");
		user_list_free(&l);
		return 0;
	}
	if (!strcmp(sub, "import")) {
		if (argc != 3)
			usage_error("user import needs FILE");
		return user_import(argv[2]);
	}
	if (argc < 3)
		usage_error("user %s needs NAME", sub);
	if (!strcmp(sub, "add"))
		return user_add(argc, argv);
	if (strcmp(sub, "del"))
		usage_error("unknown user command '%s'", sub);
	if (argc != 3)
		usage_error("user del takes one NAME");
	if (strlen(argv[2]) > KMQTT_USER_NAME_MAX)
		die("user del: name too long");
	msg = ctl_msg(KMQTT_CMD_USER_DEL, 0, 0);
	nest = ctl_nest(msg, KMQTT_A_USER);
	nla_put_string(msg, KMQTT_USER_A_NAME, argv[2]);
	ctl_nest_end(msg, nest);
	snprintf(what, sizeof(what), "user del %s", argv[2]);
	ctl_send_or_die(msg, NULL, NULL, what);
	return 0;
}
