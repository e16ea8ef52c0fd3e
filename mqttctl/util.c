// SPDX-License-Identifier: GPL-2.0
/*
 * mqttctl helpers: messages, JSON, addresses, numbers.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "mqttctl.h"

void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("mqttctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mqttctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see mqttctl --help)\n", stderr);
	exit(2);
}

bool is_help(const char *s)
{
	return s && (!strcmp(s, "help") || !strcmp(s, "--help") ||
		     !strcmp(s, "-h"));
}

static void json_char(FILE *f, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", f);
		break;
	case '\\':
		fputs("\\\\", f);
		break;
	case '\n':
		fputs("\\n", f);
		break;
	case '\r':
		fputs("\\r", f);
		break;
	case '\t':
		fputs("\\t", f);
		break;
	default:
		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

/* Length of the valid UTF-8 sequence at @p (at most @n bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

void json_bytes(FILE *f, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i = 0, l;

	fputc('"', f);
	while (i < n) {
		l = utf8_len(p + i, n - i);
		if (l == 1) {
			json_char(f, p[i]);
		} else if (l) {
			fwrite(p + i, 1, l, f);
		} else {
			/* Not text: keep the byte value visible. */
			fprintf(f, "\\u%04x", p[i]);
			l = 1;
		}
		i += l;
	}
	fputc('"', f);
}

void json_str(FILE *f, const char *s)
{
	json_bytes(f, s, strlen(s));
}

void json_base64(FILE *f, const void *data, size_t n)
{
	static const char t[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t i;

	fputc('"', f);
	for (i = 0; i + 2 < n; i += 3) {
		fputc(t[p[i] >> 2], f);
		fputc(t[((p[i] & 3) << 4) | (p[i + 1] >> 4)], f);
		fputc(t[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)], f);
		fputc(t[p[i + 2] & 63], f);
	}
	if (n - i == 1) {
		fputc(t[p[i] >> 2], f);
		fputc(t[(p[i] & 3) << 4], f);
		fputs("==", f);
	} else if (n - i == 2) {
		fputc(t[p[i] >> 2], f);
		fputc(t[((p[i] & 3) << 4) | (p[i + 1] >> 4)], f);
		fputc(t[(p[i + 1] & 15) << 2], f);
		fputc('=', f);
	}
	fputc('"', f);
}

int parse_addr(const char *s, struct ctl_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(s);

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = AF_INET;
		a->len = 4;
		return 0;
	}
	/* Accept "[::1]" as well as "::1". */
	if (len > 2 && s[0] == '[' && s[len - 1] == ']' && len < sizeof(buf)) {
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
		s = buf;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = AF_INET6;
		a->len = 16;
		return 0;
	}
	return -EINVAL;
}

int parse_port(const char *s, uint16_t *port)
{
	uint64_t v;

	if (parse_u64(s, false, &v) || v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

void format_addr(const struct ctl_addr *a, char *buf, size_t size)
{
	if (!inet_ntop(a->family, a->addr, buf, (socklen_t)size))
		snprintf(buf, size, "?");
}

int put_listener(struct nl_msg *msg, int type, const struct ctl_addr *a)
{
	struct nlattr *nest = ctl_nest(msg, type);

	if (!nest || nla_put_u16(msg, KMQTT_LISTENER_A_FAMILY, a->family) ||
	    nla_put(msg, KMQTT_LISTENER_A_ADDR, (int)a->len, a->addr) ||
	    nla_put_u16(msg, KMQTT_LISTENER_A_PORT, a->port))
		return -ENOSPC;
	ctl_nest_end(msg, nest);
	return 0;
}

bool get_listener(struct nlattr *nest, struct ctl_addr *a, uint64_t *accepted)
{
	struct nlattr *tb[KMQTT_LISTENER_A_MAX + 1];
	struct nlattr *addr;

	memset(a, 0, sizeof(*a));
	if (!ctl_parse_nested(tb, KMQTT_LISTENER_A_MAX, nest))
		return false;
	addr = tb[KMQTT_LISTENER_A_ADDR];
	a->family = ctl_u16(tb[KMQTT_LISTENER_A_FAMILY]);
	a->port = ctl_u16(tb[KMQTT_LISTENER_A_PORT]);
	if (!addr || nla_len(addr) != (a->family == AF_INET6 ? 16 : 4))
		return false;
	a->len = nla_len(addr);
	memcpy(a->addr, nla_data(addr), a->len);
	if (accepted)
		*accepted = ctl_u64(tb[KMQTT_LISTENER_A_ACCEPTED]);
	return true;
}

int parse_u64(const char *s, bool suffixes, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end && suffixes && !end[1]) {
		switch (*end) {
		case 'k': case 'K':
			mult = 1ULL << 10;
			break;
		case 'm': case 'M':
			mult = 1ULL << 20;
			break;
		case 'g': case 'G':
			mult = 1ULL << 30;
			break;
		default:
			return -EINVAL;
		}
		end++;
	}
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

void line_map_add(struct line_map *m, long start, long end, int line)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->v = realloc(m->v, m->cap * sizeof(*m->v));
		if (!m->v)
			die("out of memory");
	}
	m->v[m->n].start = start;
	m->v[m->n].end = end;
	m->v[m->n].line = line;
	m->n++;
}

int line_map_find(const struct line_map *m, long off)
{
	size_t i;

	if (off < 0)
		return 0;
	for (i = 0; i < m->n; i++)
		if (off >= m->v[i].start && off < m->v[i].end)
			return m->v[i].line;
	return 0;
}

char *read_file(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t n = 0, cap = 0;
	char *buf = NULL;

	if (!f)
		die("%s: %s", path, strerror(errno));
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory");
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);

		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f))
		die("%s: read error", path);
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	if (strlen(buf) != n)
		die("%s: contains a NUL byte", path);
	return buf;
}

char *next_line(char *buf, size_t *pos)
{
	char *line = buf + *pos, *nl;

	if (!*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*pos = nl + 1 - buf;
	} else {
		*pos += strlen(line);
	}
	return line;
}

char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}
