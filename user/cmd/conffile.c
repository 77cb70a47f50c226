// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/conffile.h"
#include "core/opts.h"

#define CONF_MAX_BYTES (1 << 20) /* a config file is a page or two; more is a mistake */
#define CONF_MAX_LINE 4096

static int conf_error(const char *cmd, const char *name, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int conf_error(const char *cmd, const char *name, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	if (line)
		fprintf(stderr, "shakeoff %s: %s:%u: ", cmd, name, line);
	else
		fprintf(stderr, "shakeoff %s: %s: ", cmd, name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

void conf_free(struct conf_file *cf)
{
	int i;

	for (i = 0; i < cf->argc; i++) {
		free(cf->argv[i]);
		free(cf->where[i]);
	}
	free(cf->argv);
	free(cf->where);
	memset(cf, 0, sizeof(*cf));
}

static int conf_push(struct conf_file *cf, const char *arg, const char *name, unsigned int line)
{
	char **argv = realloc(cf->argv, (cf->argc + 2) * sizeof(*argv));
	char **where;
	char at[CONF_MAX_LINE];

	if (!argv)
		return -ENOMEM;
	cf->argv = argv;
	where = realloc(cf->where, (cf->argc + 2) * sizeof(*where));
	if (!where)
		return -ENOMEM;
	cf->where = where;
	if (line)
		snprintf(at, sizeof(at), "%s:%u", name, line);
	else
		snprintf(at, sizeof(at), "%s", name);
	cf->argv[cf->argc] = strdup(arg);
	cf->where[cf->argc] = strdup(at);
	if (!cf->argv[cf->argc] || !cf->where[cf->argc]) {
		free(cf->argv[cf->argc]);
		free(cf->where[cf->argc]);
		return -ENOMEM;
	}
	cf->argc++;
	cf->argv[cf->argc] = NULL; /* getopt wants argv[argc] == NULL */
	cf->where[cf->argc] = NULL;
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* s[0..*len) without leading and trailing blanks */
static const char *trim(const char *s, size_t *len)
{
	while (*len && is_blank(*s)) {
		s++;
		(*len)--;
	}
	while (*len && is_blank(s[*len - 1]))
		(*len)--;
	return s;
}

static const struct optab *conf_key(const struct optab *t, const char *key, size_t len)
{
	for (; t->name; t++)
		if (strlen(t->name) == len && !strncmp(t->name, key, len))
			return t;
	return NULL;
}

/* One line, comments and blanks gone (s[0..len)), into cf; first_line[] remembers keys seen. */
static int conf_line(const char *s, size_t len, const char *name, unsigned int line,
		     const char *cmd, const struct optab *t, const char *const *refuse,
		     unsigned int *first_line, struct conf_file *cf)
{
	const char *eq = memchr(s, '=', len), *key, *val;
	char arg[CONF_MAX_LINE + 4];
	const struct optab *o;
	size_t klen, vlen;
	bool flag_on = false;

	if (!eq)
		return conf_error(cmd, name, line, "want 'key = value', got '%.*s'", (int)len, s);
	klen = (size_t)(eq - s);
	key = trim(s, &klen);
	vlen = len - (size_t)(eq - s) - 1;
	val = trim(eq + 1, &vlen);
	if (!klen)
		return conf_error(cmd, name, line, "no key before '='");
	if (klen > 2 && key[0] == '-' && key[1] == '-')
		return conf_error(cmd, name, line, "keys have no dashes: '%.*s'", (int)klen - 2,
				  key + 2);
	for (; refuse && *refuse; refuse++)
		if (strlen(*refuse) == klen && !strncmp(*refuse, key, klen))
			return conf_error(cmd, name, line, "'%s' cannot be set in a config file",
					  *refuse);
	o = conf_key(t, key, klen);
	if (!o || !strcmp(o->name, "help"))
		return conf_error(cmd, name, line, "unknown key '%.*s'", (int)klen, key);
	if (!o->repeat && first_line[o - t])
		return conf_error(cmd, name, line, "'%s' already set on line %u", o->name,
				  first_line[o - t]);
	first_line[o - t] = line;
	if (!o->arg) {
		if (vlen == 3 && !strncmp(val, "yes", 3))
			flag_on = true;
		else if (!(vlen == 2 && !strncmp(val, "no", 2)))
			return conf_error(cmd, name, line, "'%s' takes yes or no", o->name);
		if (!flag_on)
			return 0;
		snprintf(arg, sizeof(arg), "--%s", o->name);
	} else {
		if (!vlen)
			return conf_error(cmd, name, line, "'%s' needs a value", o->name);
		snprintf(arg, sizeof(arg), "--%s=%.*s", o->name, (int)vlen, val);
	}
	if (conf_push(cf, arg, name, line))
		return conf_error(cmd, name, line, "out of memory");
	return 0;
}

int conf_parse(const char *text, size_t len, const char *name, const char *cmd,
	       const struct optab *t, const char *const *refuse, struct conf_file *cf)
{
	unsigned int first_line[64] = { 0 }, line = 0, n;
	size_t pos = 0;
	int err;

	memset(cf, 0, sizeof(*cf));
	for (n = 0; t[n].name; n++)
		;
	if (n > sizeof(first_line) / sizeof(first_line[0]))
		return conf_error(cmd, name, 0, "option table too large");
	if (conf_push(cf, cmd, name, 0))
		return conf_error(cmd, name, 0, "out of memory");
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - s) : len - pos, i;

		pos += l + (nl ? 1 : 0);
		line++;
		if (memchr(s, '\0', l)) {
			err = conf_error(cmd, name, line, "a NUL byte: not a text file");
			goto fail;
		}
		if (l > CONF_MAX_LINE) {
			err = conf_error(cmd, name, line, "line longer than %d bytes",
					 CONF_MAX_LINE);
			goto fail;
		}
		/* '#' at the start or after a blank begins a comment; inside a word it is kept */
		for (i = 0; i < l; i++)
			if (s[i] == '#' && (i == 0 || is_blank(s[i - 1])))
				break;
		l = i;
		s = trim(s, &l);
		if (!l)
			continue;
		err = conf_line(s, l, name, line, cmd, t, refuse, first_line, cf);
		if (err)
			goto fail;
	}
	return 0;
fail:
	conf_free(cf);
	return err;
}

int conf_read(const char *path, const char *cmd, const struct optab *t, const char *const *refuse,
	      struct conf_file *cf)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	char *text;
	size_t n;
	int err;

	memset(cf, 0, sizeof(*cf));
	if (!f)
		return conf_error(cmd, path, 0, "cannot read: %s", strerror(errno));
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		return conf_error(cmd, path, 0, "not a regular file");
	}
	if (st.st_size > CONF_MAX_BYTES) {
		fclose(f);
		return conf_error(cmd, path, 0, "larger than %d bytes", CONF_MAX_BYTES);
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		fclose(f);
		return conf_error(cmd, path, 0, "out of memory");
	}
	n = fread(text, 1, (size_t)st.st_size, f);
	err = ferror(f);
	fclose(f);
	if (err) {
		free(text);
		return conf_error(cmd, path, 0, "cannot read");
	}
	err = conf_parse(text, n, path, cmd, t, refuse, cf);
	free(text);
	return err;
}
