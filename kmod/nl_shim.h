/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netlink-attribute half of shim.h, for the one core file that decodes
 * generic netlink requests (nl_parse.c).
 *
 * In the kernel this is <net/netlink.h>. Outside it is a userspace copy of
 * the subset nl_parse.c and its fuzzer use: struct nla_policy with the
 * NLA_POLICY_* initializers, the nla_* accessors, and attribute validation
 * transcribed from lib/nlattr.c of Linux 6.1 (validate_nla(),
 * __nla_validate_parse(), nla_validate_array(), the unsigned range checks),
 * so that the very policy tables the module registers can be run under
 * libFuzzer with the kernel's semantics: strict validation (what genetlink
 * applies to a family with resv_start_op 0), NLA_F_NESTED checks, trailing
 * bytes, exact lengths of integers, recursion depth, the same errno values.
 * Attribute types the core's policies do not use (flags, signed integers,
 * bitfields, masks, validation callbacks) are not supported: a policy using
 * them fails validation loudly (-EOPNOTSUPP), so nobody fuzzes a policy the
 * copy does not understand without noticing.
 */
#ifndef KMQTT_NL_SHIM_H
#define KMQTT_NL_SHIM_H

#include "shim.h"

#ifdef __KERNEL__

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>
#include <net/netlink.h>

#else /* userspace: tests/fuzz/fuzz_netlink */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netlink.h>	/* struct nlattr, NLA_F_NESTED, NLA_ALIGN */

enum {
	NLA_UNSPEC,
	NLA_U8,
	NLA_U16,
	NLA_U32,
	NLA_U64,
	NLA_STRING,
	NLA_FLAG,
	NLA_MSECS,
	NLA_NESTED,
	NLA_NESTED_ARRAY,
	NLA_NUL_STRING,
	NLA_BINARY,
	__NLA_TYPE_MAX,
};

enum nla_policy_validation {
	NLA_VALIDATE_NONE,
	NLA_VALIDATE_RANGE,
	NLA_VALIDATE_RANGE_WARN_TOO_LONG,
	NLA_VALIDATE_MIN,
	NLA_VALIDATE_MAX,
	NLA_VALIDATE_MASK,
	NLA_VALIDATE_RANGE_PTR,
	NLA_VALIDATE_FUNCTION,
};

struct netlink_range_validation {
	u64 min, max;
};

/* The kernel's layout: the union is what the NLA_POLICY_* macros fill. */
struct nla_policy {
	u8 type;
	u8 validation_type;
	u16 len;
	union {
		const struct nla_policy *nested_policy;
		struct netlink_range_validation *range;
		struct {
			s16 min, max;
		};
	};
};

#define _NLA_POLICY_NESTED(maxattr, policy) \
	{ .type = NLA_NESTED, .nested_policy = policy, .len = maxattr }
#define _NLA_POLICY_NESTED_ARRAY(maxattr, policy) \
	{ .type = NLA_NESTED_ARRAY, .nested_policy = policy, .len = maxattr }
#define NLA_POLICY_NESTED(policy) \
	_NLA_POLICY_NESTED(ARRAY_SIZE(policy) - 1, policy)
#define NLA_POLICY_NESTED_ARRAY(policy) \
	_NLA_POLICY_NESTED_ARRAY(ARRAY_SIZE(policy) - 1, policy)
#define NLA_POLICY_RANGE(tp, _min, _max) \
	{ .type = tp, .validation_type = NLA_VALIDATE_RANGE, \
	  .min = _min, .max = _max }
#define NLA_POLICY_FULL_RANGE(tp, _range) \
	{ .type = tp, .validation_type = NLA_VALIDATE_RANGE_PTR, \
	  .range = _range }
#define NLA_POLICY_MIN(tp, _min) \
	{ .type = tp, .validation_type = NLA_VALIDATE_MIN, .min = _min }
#define NLA_POLICY_MAX(tp, _max) \
	{ .type = tp, .validation_type = NLA_VALIDATE_MAX, .max = _max }

/* What a handler learns about a failure; the fuzzer checks it is set. */
struct netlink_ext_ack {
	const char *_msg;
	const struct nlattr *bad_attr;
	const struct nla_policy *policy;
	const struct nlattr *miss_nest;
	u32 miss_type;
};

#define NL_SET_ERR_MSG(extack, msg) do {				\
	struct netlink_ext_ack *__extack = (extack);			\
									\
	if (__extack)							\
		__extack->_msg = (msg);					\
} while (0)
#define NL_SET_ERR_MSG_ATTR_POL(extack, attr, pol, msg) do {		\
	struct netlink_ext_ack *__extack = (extack);			\
									\
	if (__extack) {							\
		__extack->_msg = (msg);					\
		__extack->bad_attr = (attr);				\
		__extack->policy = (pol);				\
	}								\
} while (0)
#define NL_SET_ERR_MSG_ATTR(extack, attr, msg) \
	NL_SET_ERR_MSG_ATTR_POL(extack, attr, NULL, msg)
#define NL_SET_BAD_ATTR(extack, attr) do {				\
	struct netlink_ext_ack *__extack = (extack);			\
									\
	if (__extack) {							\
		__extack->bad_attr = (attr);				\
		__extack->policy = NULL;				\
	}								\
} while (0)
#define NL_REQ_ATTR_CHECK(extack, nest, tb, type) ({			\
	struct nlattr **__tb = (tb);					\
	u32 __attr = (type);						\
	struct netlink_ext_ack *__extack = (extack);			\
	int __retval = !__tb[__attr];					\
									\
	if (__retval && __extack) {					\
		__extack->miss_nest = (nest);				\
		__extack->miss_type = __attr;				\
	}								\
	__retval;							\
})

enum netlink_validation {
	NL_VALIDATE_LIBERAL = 0,
	NL_VALIDATE_TRAILING = 1 << 0,
	NL_VALIDATE_MAXTYPE = 1 << 1,
	NL_VALIDATE_UNSPEC = 1 << 2,
	NL_VALIDATE_STRICT_ATTRS = 1 << 3,
	NL_VALIDATE_NESTED = 1 << 4,
};

#define NL_VALIDATE_STRICT (NL_VALIDATE_TRAILING | NL_VALIDATE_MAXTYPE | \
			    NL_VALIDATE_UNSPEC | NL_VALIDATE_STRICT_ATTRS | \
			    NL_VALIDATE_NESTED)
#define MAX_POLICY_RECURSION_DEPTH 10

static inline int nla_type(const struct nlattr *nla)
{
	return nla->nla_type & NLA_TYPE_MASK;
}

static inline void *nla_data(const struct nlattr *nla)
{
	return (char *)nla + NLA_HDRLEN;
}

static inline int nla_len(const struct nlattr *nla)
{
	return nla->nla_len - NLA_HDRLEN;
}

static inline int nla_ok(const struct nlattr *nla, int remaining)
{
	return remaining >= (int)sizeof(*nla) &&
	       nla->nla_len >= sizeof(*nla) &&
	       nla->nla_len <= remaining;
}

static inline struct nlattr *nla_next(const struct nlattr *nla, int *remaining)
{
	unsigned int totlen = NLA_ALIGN(nla->nla_len);

	*remaining -= totlen;
	return (struct nlattr *)((char *)nla + totlen);
}

#define nla_for_each_attr(pos, head, len, rem) \
	for (pos = head, rem = len; nla_ok(pos, rem); \
	     pos = nla_next(pos, &(rem)))
#define nla_for_each_nested(pos, nla, rem) \
	nla_for_each_attr(pos, nla_data(nla), nla_len(nla), rem)

static inline int nla_memcpy(void *dest, const struct nlattr *src, int count)
{
	int minlen = min_t(int, count, nla_len(src));

	memcpy(dest, nla_data(src), minlen);
	if (count > minlen)
		memset((char *)dest + minlen, 0, count - minlen);
	return minlen;
}

/*
 * Copy, not a cast: attribute payloads are only 4-byte aligned, and a u64
 * read through a cast is undefined behaviour UBSan reports.
 */
#define KMQTT_NLA_GET(type, nla) \
	({ type __v; memcpy(&__v, nla_data(nla), sizeof(__v)); __v; })

static inline u8 nla_get_u8(const struct nlattr *nla)
{
	return KMQTT_NLA_GET(u8, nla);
}

static inline u16 nla_get_u16(const struct nlattr *nla)
{
	return KMQTT_NLA_GET(u16, nla);
}

static inline u32 nla_get_u32(const struct nlattr *nla)
{
	return KMQTT_NLA_GET(u32, nla);
}

static inline u64 nla_get_u64(const struct nlattr *nla)
{
	return KMQTT_NLA_GET(u64, nla);
}

static inline ssize_t nla_strscpy(char *dst, const struct nlattr *nla,
				  size_t dstsize)
{
	size_t srclen = nla_len(nla);
	const char *src = nla_data(nla);
	ssize_t ret;
	size_t len;

	if (dstsize == 0 || WARN_ON_ONCE(dstsize > U16_MAX))
		return -E2BIG;
	if (srclen > 0 && src[srclen - 1] == '\0')
		srclen--;
	if (srclen >= dstsize) {
		len = dstsize - 1;
		ret = -E2BIG;
	} else {
		len = srclen;
		ret = len;
	}
	memcpy(dst, src, len);
	memset(dst + len, 0, dstsize - len);
	return ret;
}

static inline int __nla_validate_parse(const struct nlattr *head, int len,
				       int maxtype,
				       const struct nla_policy *policy,
				       unsigned int validate,
				       struct netlink_ext_ack *extack,
				       struct nlattr **tb, unsigned int depth);

/* nla_validate_range_unsigned() and nla_get_range_unsigned() */
static inline int nla_validate_range_unsigned(const struct nla_policy *pt,
					      const struct nlattr *nla,
					      struct netlink_ext_ack *extack)
{
	struct netlink_range_validation range = { 0, 0 };
	u64 value;

	switch (pt->type) {
	case NLA_U8:
		value = nla_get_u8(nla);
		range.max = U8_MAX;
		break;
	case NLA_U16:
		value = nla_get_u16(nla);
		range.max = U16_MAX;
		break;
	case NLA_U32:
		value = nla_get_u32(nla);
		range.max = U32_MAX;
		break;
	case NLA_U64:
		value = nla_get_u64(nla);
		range.max = U64_MAX;
		break;
	case NLA_BINARY:
		value = nla_len(nla);
		range.max = U16_MAX;
		break;
	default:
		return -EOPNOTSUPP;
	}
	switch (pt->validation_type) {
	case NLA_VALIDATE_RANGE:
		range.min = pt->min;
		range.max = pt->max;
		break;
	case NLA_VALIDATE_RANGE_PTR:
		range = *pt->range;
		break;
	case NLA_VALIDATE_MIN:
		range.min = pt->min;
		break;
	case NLA_VALIDATE_MAX:
		range.max = pt->max;
		break;
	default:
		/* RANGE_WARN_TOO_LONG: unused by kmqtt, not copied */
		return -EOPNOTSUPP;
	}
	if (value < range.min || value > range.max) {
		NL_SET_ERR_MSG_ATTR_POL(extack, nla, pt,
					pt->type == NLA_BINARY ?
					"binary attribute size out of range" :
					"integer out of range");
		return -ERANGE;
	}
	return 0;
}

static inline int nla_validate_array(const struct nlattr *head, int len,
				     int maxtype,
				     const struct nla_policy *policy,
				     struct netlink_ext_ack *extack,
				     unsigned int validate, unsigned int depth)
{
	const struct nlattr *entry;
	int rem, ret;

	nla_for_each_attr(entry, head, len, rem) {
		if (nla_len(entry) == 0)
			continue;
		if (nla_len(entry) < NLA_HDRLEN) {
			NL_SET_ERR_MSG_ATTR_POL(extack, entry, policy,
						"Array element too short");
			return -ERANGE;
		}
		ret = __nla_validate_parse(nla_data(entry), nla_len(entry),
					   maxtype, policy, validate, extack,
					   NULL, depth + 1);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static inline int validate_nla(const struct nlattr *nla, int maxtype,
			       const struct nla_policy *policy,
			       unsigned int validate,
			       struct netlink_ext_ack *extack,
			       unsigned int depth)
{
	static const u8 exact_len[__NLA_TYPE_MAX] = {
		[NLA_U8] = 1, [NLA_U16] = 2, [NLA_U32] = 4, [NLA_U64] = 8,
	};
	int minlen, attrlen = nla_len(nla), type = nla_type(nla);
	const struct nla_policy *pt;
	int err = -ERANGE;

	if (type <= 0 || type > maxtype)
		return 0;
	pt = &policy[type];
	if (pt->type >= __NLA_TYPE_MAX)
		return -EOPNOTSUPP;

	if (exact_len[pt->type] && attrlen != exact_len[pt->type] &&
	    (validate & NL_VALIDATE_STRICT_ATTRS)) {
		NL_SET_ERR_MSG_ATTR_POL(extack, nla, pt,
					"invalid attribute length");
		return -EINVAL;
	}
	if (validate & NL_VALIDATE_NESTED) {
		bool nest = pt->type == NLA_NESTED ||
			    pt->type == NLA_NESTED_ARRAY;

		if (nest && !(nla->nla_type & NLA_F_NESTED)) {
			NL_SET_ERR_MSG_ATTR_POL(extack, nla, pt,
						"NLA_F_NESTED is missing");
			return -EINVAL;
		}
		if (!nest && pt->type != NLA_UNSPEC &&
		    (nla->nla_type & NLA_F_NESTED)) {
			NL_SET_ERR_MSG_ATTR_POL(extack, nla, pt,
						"NLA_F_NESTED not expected");
			return -EINVAL;
		}
	}

	switch (pt->type) {
	case NLA_NUL_STRING:
		minlen = pt->len ? min_t(int, attrlen, pt->len + 1) : attrlen;
		if (!minlen || !memchr(nla_data(nla), '\0', minlen)) {
			err = -EINVAL;
			goto out_err;
		}
		fallthrough;
	case NLA_STRING:
		if (attrlen < 1)
			goto out_err;
		if (pt->len) {
			const char *buf = nla_data(nla);

			if (buf[attrlen - 1] == '\0')
				attrlen--;
			if (attrlen > pt->len)
				goto out_err;
		}
		break;
	case NLA_BINARY:
		if (pt->len && attrlen > pt->len)
			goto out_err;
		break;
	case NLA_NESTED:
	case NLA_NESTED_ARRAY:
		/* May be empty; if not, it holds at least one header. */
		if (attrlen == 0)
			break;
		if (attrlen < NLA_HDRLEN)
			goto out_err;
		if (!pt->nested_policy)
			break;
		if (pt->type == NLA_NESTED)
			return __nla_validate_parse(nla_data(nla), attrlen,
						    pt->len, pt->nested_policy,
						    validate, extack, NULL,
						    depth + 1);
		return nla_validate_array(nla_data(nla), attrlen, pt->len,
					  pt->nested_policy, extack, validate,
					  depth);
	case NLA_UNSPEC:
		if (validate & NL_VALIDATE_UNSPEC) {
			NL_SET_ERR_MSG_ATTR(extack, nla,
					    "Unsupported attribute");
			return -EINVAL;
		}
		if (attrlen < pt->len)
			goto out_err;
		break;
	case NLA_U8:
	case NLA_U16:
	case NLA_U32:
	case NLA_U64:
		if (attrlen < (pt->len ? pt->len : exact_len[pt->type]))
			goto out_err;
		break;
	default:
		return -EOPNOTSUPP;
	}

	switch (pt->validation_type) {
	case NLA_VALIDATE_NONE:
		return 0;
	case NLA_VALIDATE_RANGE_PTR:
	case NLA_VALIDATE_RANGE:
	case NLA_VALIDATE_MIN:
	case NLA_VALIDATE_MAX:
		return nla_validate_range_unsigned(pt, nla, extack);
	default:
		return -EOPNOTSUPP;
	}
out_err:
	NL_SET_ERR_MSG_ATTR_POL(extack, nla, pt,
				"Attribute failed policy validation");
	return err;
}

static inline int __nla_validate_parse(const struct nlattr *head, int len,
				       int maxtype,
				       const struct nla_policy *policy,
				       unsigned int validate,
				       struct netlink_ext_ack *extack,
				       struct nlattr **tb, unsigned int depth)
{
	const struct nlattr *nla;
	int rem, err;

	if (depth >= MAX_POLICY_RECURSION_DEPTH) {
		NL_SET_ERR_MSG(extack,
			       "allowed policy recursion depth exceeded");
		return -EINVAL;
	}
	if (tb)
		memset(tb, 0, sizeof(struct nlattr *) * (maxtype + 1));
	nla_for_each_attr(nla, head, len, rem) {
		u16 type = nla_type(nla);

		if (type == 0 || type > maxtype) {
			if (validate & NL_VALIDATE_MAXTYPE) {
				NL_SET_ERR_MSG_ATTR(extack, nla,
						    "Unknown attribute type");
				return -EINVAL;
			}
			continue;
		}
		if (policy) {
			err = validate_nla(nla, maxtype, policy, validate,
					   extack, depth);
			if (err < 0)
				return err;
		}
		if (tb)
			tb[type] = (struct nlattr *)nla;
	}
	if (rem > 0) {
		NL_SET_ERR_MSG(extack, "bytes leftover after parsing attributes");
		if (validate & NL_VALIDATE_TRAILING)
			return -EINVAL;
	}
	return 0;
}

static inline int __nla_parse(struct nlattr **tb, int maxtype,
			      const struct nlattr *head, int len,
			      const struct nla_policy *policy,
			      unsigned int validate,
			      struct netlink_ext_ack *extack)
{
	return __nla_validate_parse(head, len, maxtype, policy, validate,
				    extack, tb, 0);
}

static inline int nla_parse_nested(struct nlattr *tb[], int maxtype,
				   const struct nlattr *nla,
				   const struct nla_policy *policy,
				   struct netlink_ext_ack *extack)
{
	if (!(nla->nla_type & NLA_F_NESTED)) {
		NL_SET_ERR_MSG_ATTR(extack, nla, "NLA_F_NESTED is missing");
		return -EINVAL;
	}
	return __nla_parse(tb, maxtype, nla_data(nla), nla_len(nla), policy,
			   NL_VALIDATE_STRICT, extack);
}

#endif /* __KERNEL__ */

#endif /* KMQTT_NL_SHIM_H */
