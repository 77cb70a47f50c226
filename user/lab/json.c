// SPDX-License-Identifier: GPL-2.0
/*
 * The strict JSON reader and writer of json.h: a recursive descent over the
 * text with one cursor; the first error stops it and names its column.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab/json.h"
#include "core/jsonl.h"

struct jp {
	const char *s;
	size_t len, pos;
	const char *why;
};

static int jp_fail(struct jp *p, const char *why)
{
	if (!p->why)
		p->why = why;
	return -1;
}

static void jp_ws(struct jp *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int jp_peek(const struct jp *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int jp_word(struct jp *p, const char *w)
{
	size_t n = strlen(w);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n))
		return jp_fail(p, "unknown word");
	p->pos += n;
	return 0;
}

static int jp_number(struct jp *p, struct json_val *v)
{
	size_t start = p->pos;
	char buf[64];

	if (jp_peek(p) == '-')
		p->pos++;
	if (jp_peek(p) == '0') {
		p->pos++;
	} else if (jp_peek(p) >= '1' && jp_peek(p) <= '9') {
		while (jp_peek(p) >= '0' && jp_peek(p) <= '9')
			p->pos++;
	} else {
		return jp_fail(p, "bad number");
	}
	if (jp_peek(p) == '.') {
		p->pos++;
		if (!(jp_peek(p) >= '0' && jp_peek(p) <= '9'))
			return jp_fail(p, "bad number: digit expected after '.'");
		while (jp_peek(p) >= '0' && jp_peek(p) <= '9')
			p->pos++;
	}
	if (jp_peek(p) == 'e' || jp_peek(p) == 'E') {
		p->pos++;
		if (jp_peek(p) == '+' || jp_peek(p) == '-')
			p->pos++;
		if (!(jp_peek(p) >= '0' && jp_peek(p) <= '9'))
			return jp_fail(p, "bad number: digit expected in exponent");
		while (jp_peek(p) >= '0' && jp_peek(p) <= '9')
			p->pos++;
	}
	if (p->pos - start >= sizeof(buf))
		return jp_fail(p, "number too long");
	memcpy(buf, p->s + start, p->pos - start);
	buf[p->pos - start] = '\0';
	v->type = JSON_NUM;
	v->num = strtod(buf, NULL);
	return 0;
}

static int jp_hex4(struct jp *p, unsigned *out)
{
	unsigned x = 0;
	int i, c;

	for (i = 0; i < 4; i++) {
		c = jp_peek(p);
		if (c >= '0' && c <= '9')
			x = x * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x = x * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x = x * 16 + (unsigned)(c - 'A' + 10);
		else
			return jp_fail(p, "bad \\u escape");
		p->pos++;
	}
	*out = x;
	return 0;
}

static size_t utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at the opening quote; the decoded text is never longer than the source. */
static int jp_string(struct jp *p, char **out)
{
	size_t start = ++p->pos, n = 0;
	unsigned cp = 0, lo = 0;
	char *o;
	int c;

	/* An escape decodes to at most the bytes it takes in the source. */
	o = malloc(p->len - start + 1);
	if (!o)
		return jp_fail(p, "out of memory");
	for (;;) {
		c = jp_peek(p);
		if (c < 0) {
			free(o);
			return jp_fail(p, "unterminated string");
		}
		if (c == '"')
			break;
		if (c < 0x20) {
			free(o);
			return jp_fail(p, "control character in string");
		}
		p->pos++;
		if (c != '\\') {
			o[n++] = (char)c;
			continue;
		}
		c = jp_peek(p);
		p->pos++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			o[n++] = (char)c;
			break;
		case 'b':
			o[n++] = '\b';
			break;
		case 'f':
			o[n++] = '\f';
			break;
		case 'n':
			o[n++] = '\n';
			break;
		case 'r':
			o[n++] = '\r';
			break;
		case 't':
			o[n++] = '\t';
			break;
		case 'u':
			if (jp_hex4(p, &cp))
				goto bad;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				p->why = "lone low surrogate";
				goto bad;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->len - p->pos < 6 || p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u') {
					p->why = "lone high surrogate";
					goto bad;
				}
				p->pos += 2;
				if (jp_hex4(p, &lo))
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff) {
					p->why = "bad surrogate pair";
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			n += utf8_put(o + n, cp);
			break;
		default:
			p->pos--;
			p->why = "bad escape";
			goto bad;
		}
	}
	p->pos++;
	o[n] = '\0';
	*out = o;
	return 0;
bad:
	free(o);
	return -1;
}

static int jp_value(struct jp *p, struct json_val *v, int depth);

static int jp_grow(struct json_val *v, size_t *cap, bool keys)
{
	size_t ncap = *cap ? *cap * 2 : 4;
	struct json_val *items;
	char **k;

	if (v->n < *cap)
		return 0;
	items = realloc(v->items, ncap * sizeof(*items));
	if (!items)
		return -1;
	v->items = items;
	if (keys) {
		k = realloc(v->keys, ncap * sizeof(*k));
		if (!k)
			return -1;
		v->keys = k;
	}
	*cap = ncap;
	return 0;
}

static int jp_array(struct jp *p, struct json_val *v, int depth)
{
	size_t cap = 0;

	v->type = JSON_ARR;
	p->pos++;
	jp_ws(p);
	if (jp_peek(p) == ']') {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (jp_grow(v, &cap, false))
			return jp_fail(p, "out of memory");
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		v->n++;
		if (jp_value(p, &v->items[v->n - 1], depth + 1))
			return -1;
		jp_ws(p);
		if (jp_peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (jp_peek(p) == ']') {
			p->pos++;
			return 0;
		}
		return jp_fail(p, "expected ',' or ']'");
	}
}

static int jp_object(struct jp *p, struct json_val *v, int depth)
{
	size_t cap = 0;

	v->type = JSON_OBJ;
	p->pos++;
	jp_ws(p);
	if (jp_peek(p) == '}') {
		p->pos++;
		return 0;
	}
	for (;;) {
		jp_ws(p);
		if (jp_peek(p) != '"')
			return jp_fail(p, "expected a key string");
		if (jp_grow(v, &cap, true))
			return jp_fail(p, "out of memory");
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		v->keys[v->n] = NULL;
		v->n++;
		if (jp_string(p, &v->keys[v->n - 1]))
			return -1;
		jp_ws(p);
		if (jp_peek(p) != ':')
			return jp_fail(p, "expected ':'");
		p->pos++;
		if (jp_value(p, &v->items[v->n - 1], depth + 1))
			return -1;
		jp_ws(p);
		if (jp_peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (jp_peek(p) == '}') {
			p->pos++;
			return 0;
		}
		return jp_fail(p, "expected ',' or '}'");
	}
}

static int jp_value(struct jp *p, struct json_val *v, int depth)
{
	int c;

	if (depth > JSON_MAX_DEPTH)
		return jp_fail(p, "nested too deep");
	jp_ws(p);
	c = jp_peek(p);
	switch (c) {
	case '{':
		return jp_object(p, v, depth);
	case '[':
		return jp_array(p, v, depth);
	case '"':
		v->type = JSON_STR;
		return jp_string(p, &v->str);
	case 't':
		v->type = JSON_BOOL;
		v->b = true;
		return jp_word(p, "true");
	case 'f':
		v->type = JSON_BOOL;
		return jp_word(p, "false");
	case 'n':
		v->type = JSON_NULL;
		return jp_word(p, "null");
	case -1:
		return jp_fail(p, "unexpected end");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return jp_number(p, v);
		return jp_fail(p, "unexpected character");
	}
}

int json_parse(const char *text, size_t len, struct json_val *out, char *err, size_t errlen,
	       size_t *col)
{
	struct jp p = { .s = text, .len = len };

	memset(out, 0, sizeof(*out));
	if (!jp_value(&p, out, 0)) {
		jp_ws(&p);
		if (p.pos == p.len)
			return 0;
		jp_fail(&p, "text after the value");
	}
	json_free(out);
	if (err && errlen)
		snprintf(err, errlen, "%s", p.why);
	if (col)
		*col = p.pos + 1;
	return -1;
}

void json_free(struct json_val *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		json_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

const struct json_val *json_get(const struct json_val *v, const char *key)
{
	size_t i;

	if (!v || v->type != JSON_OBJ)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (v->keys[i] && !strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

double json_num(const struct json_val *v, double dflt)
{
	return v && v->type == JSON_NUM ? v->num : dflt;
}

const char *json_str(const struct json_val *v)
{
	return v && v->type == JSON_STR ? v->str : NULL;
}

void json_write_num(FILE *f, double d)
{
	if (!isfinite(d))
		fputs("null", f);
	else
		fprintf(f, "%.15g", d);
}

void json_write(FILE *f, const struct json_val *v)
{
	size_t i;

	switch (v->type) {
	case JSON_NULL:
		fputs("null", f);
		break;
	case JSON_BOOL:
		fputs(v->b ? "true" : "false", f);
		break;
	case JSON_NUM:
		json_write_num(f, v->num);
		break;
	case JSON_STR:
		json_quote(f, v->str);
		break;
	case JSON_ARR:
	case JSON_OBJ:
		fputc(v->type == JSON_ARR ? '[' : '{', f);
		for (i = 0; i < v->n; i++) {
			if (i)
				fputc(',', f);
			if (v->type == JSON_OBJ) {
				json_quote(f, v->keys[i]);
				fputc(':', f);
			}
			json_write(f, &v->items[i]);
		}
		fputc(v->type == JSON_ARR ? ']' : '}', f);
		break;
	}
}
