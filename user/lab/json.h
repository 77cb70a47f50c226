/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small, strict JSON reader (RFC 8259: no comments, no trailing commas, no
 * leading zeros, no bare control characters in strings) into a tree, and a
 * writer of such a tree, for the lab's result files (meta.json, steps.jsonl).
 * Nesting is bounded (JSON_MAX_DEPTH) so hostile input cannot exhaust the
 * stack. Duplicate keys are kept; json_get() finds the first.
 */
#ifndef SHAKEOFF_LAB_JSON_H
#define SHAKEOFF_LAB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 64

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json_val {
	enum json_type type;
	bool b;
	double num;
	char *str; /* JSON_STR: NUL-terminated, escapes decoded (an embedded \u0000 cuts it) */
	size_t n; /* JSON_ARR, JSON_OBJ: how many items */
	struct json_val *items; /* JSON_ARR, JSON_OBJ: the values */
	char **keys; /* JSON_OBJ: the keys, parallel to items */
};

/*
 * Parse text[0..len) as one JSON value (white space around it allowed).
 * 0 with *out filled (free with json_free), or -1 with *out zeroed and a
 * short reason ("expected ':'") and the 1-based column of the problem in
 * err/errlen and *col.
 */
int json_parse(const char *text, size_t len, struct json_val *out, char *err, size_t errlen,
	       size_t *col);
void json_free(struct json_val *v);

/* Member key of an object, or NULL (also when v is not an object). */
const struct json_val *json_get(const struct json_val *v, const char *key);
/* v as a number when it is one; dflt when v is NULL, null or not a number. */
double json_num(const struct json_val *v, double dflt);
/* v's string when it is one, else NULL. */
const char *json_str(const struct json_val *v);

/* Write v compactly (NaN and infinities as null); a string with escapes. */
void json_write(FILE *f, const struct json_val *v);
/* A number as JSON: %.15g, or null when not finite. */
void json_write_num(FILE *f, double d);

#endif /* SHAKEOFF_LAB_JSON_H */
