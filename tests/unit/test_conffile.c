// SPDX-License-Identifier: GPL-2.0
/* The config file reader (user/cmd/conffile.c): what becomes argv, and which FILE:LINE an error names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/conffile.h"
#include "core/opts.h"
#include "testlib.h"

static const struct optab t[] = {
	{ "ports", 'p', "LIST", "", true }, { "addr", 'a', "IP", "", true, true },
	{ "key-file", 'k', "FILE", "" },    { "json", 'j', NULL, "" },
	{ "config", 'C', "FILE", "" },	    OPTAB_HELP,
};
static const char *const refuse[] = { "iface", "config", NULL };

static char err_text[1024];

/* conf_parse on text, its stderr line kept in err_text. */
static int parse(const char *text, struct conf_file *cf)
{
	struct tl_capture c;
	int rc;

	tl_stderr_begin(&c);
	rc = conf_parse(text, strlen(text), "f.conf", "guard", t, refuse, cf);
	tl_stderr_end(&c, err_text, sizeof(err_text));
	return rc;
}

static void case_ok(const char *desc, const char *text, const char *const *want,
		    const char *const *where)
{
	struct conf_file cf;
	int i, n = 0;

	tl_begin("conf: %s", desc);
	while (want[n])
		n++;
	if (!ASSERT_EQ(parse(text, &cf), 0, "parse result"))
		goto out;
	tl_note("stderr: %s\n", err_text);
	if (!ASSERT_EQ(cf.argc, n + 1, "argc"))
		goto out;
	ASSERT(!strcmp(cf.argv[0], "guard"), "argv[0] '%s'", cf.argv[0]);
	ASSERT(cf.argv[cf.argc] == NULL, "argv ends with NULL");
	for (i = 0; i < n; i++) {
		ASSERT(!strcmp(cf.argv[i + 1], want[i]), "argv[%d] '%s', want '%s'", i + 1,
		       cf.argv[i + 1], want[i]);
		if (where)
			ASSERT(!strcmp(cf.where[i + 1], where[i]), "where[%d] '%s', want '%s'",
			       i + 1, cf.where[i + 1], where[i]);
	}
out:
	conf_free(&cf);
	tl_end();
}

static void case_err(const char *desc, const char *text, const char *msg)
{
	struct conf_file cf;

	tl_begin("conf error: %s", desc);
	if (!ASSERT_EQ(parse(text, &cf), EXIT_USAGE, "parse result"))
		goto out;
	ASSERT(cf.argc == 0 && cf.argv == NULL, "nothing kept after an error");
	ASSERT(strstr(err_text, msg) != NULL, "message '%s' lacks '%s'", err_text, msg);
	ASSERT(!strncmp(err_text, "shakeoff guard: ", 16), "message '%s' starts with the command",
	       err_text);
	ASSERT(strchr(err_text, '\n') == err_text + strlen(err_text) - 1, "one line: '%s'",
	       err_text);
out:
	conf_free(&cf);
	tl_end();
}

int main(void)
{
	case_ok("comments, blanks, repeats, flags",
		"# a comment\n\n  ports = 80,443  \n\taddr=10.0.0.1\naddr = ::1 # v6\njson = yes\n",
		(const char *const[]){ "--ports=80,443", "--addr=10.0.0.1", "--addr=::1", "--json",
				       NULL },
		(const char *const[]){ "f.conf:3", "f.conf:4", "f.conf:5", "f.conf:6" });
	case_ok("a flag set to no is left out", "json = no\nports = 1\n",
		(const char *const[]){ "--ports=1", NULL }, (const char *const[]){ "f.conf:2" });
	case_ok("'#' inside a word is kept, after a blank it is a comment",
		"key-file = /etc/a#b # the secret\n",
		(const char *const[]){ "--key-file=/etc/a#b", NULL }, NULL);
	case_ok("CRLF line ends, no newline at the end", "ports = 80\r\naddr = 1.2.3.4",
		(const char *const[]){ "--ports=80", "--addr=1.2.3.4", NULL },
		(const char *const[]){ "f.conf:1", "f.conf:2" });
	case_ok("'=' in the value is the value's", "key-file = /a=b\n",
		(const char *const[]){ "--key-file=/a=b", NULL }, NULL);
	case_ok("an empty file", "", (const char *const[]){ NULL }, NULL);

	case_err("unknown key names its line", "ports = 80\nprots = 81\n",
		 "f.conf:2: unknown key 'prots'");
	case_err("a key given twice names both lines", "ports = 80\n\nports = 81\n",
		 "f.conf:3: 'ports' already set on line 1");
	case_err("no '='", "ports 80\n", "f.conf:1: want 'key = value'");
	case_err("no value", "ports =   # none\n", "f.conf:1: 'ports' needs a value");
	case_err("a flag takes yes or no", "json = 1\n", "f.conf:1: 'json' takes yes or no");
	case_err("dashes", "--ports = 80\n", "f.conf:1: keys have no dashes");
	case_err("no key", " = 80\n", "f.conf:1: no key before '='");
	case_err("iface is the command line's", "iface = eth0\n",
		 "f.conf:1: 'iface' cannot be set in a config file");
	case_err("no nesting", "config = /etc/x\n", "'config' cannot be set");
	case_err("help is no key", "help = yes\n", "unknown key 'help'");
	{
		static const char nul[] = "ports = 80\nx\0y = 1\n";
		struct conf_file cf;
		FILE *tmp = tmpfile();
		int saved = dup(2), rc;

		tl_begin("conf error: a NUL byte");
		dup2(fileno(tmp), 2);
		rc = conf_parse(nul, sizeof(nul) - 1, "f.conf", "guard", t, refuse, &cf);
		dup2(saved, 2);
		close(saved);
		fclose(tmp);
		ASSERT_EQ(rc, EXIT_USAGE, "parse result");
		conf_free(&cf);
		tl_end();
	}
	{
		struct conf_file cf;

		tl_begin("conf error: a missing file names it");
		ASSERT_EQ(conf_read("/nonexistent/x.conf", "guard", t, refuse, &cf), EXIT_USAGE,
			  "conf_read");
		conf_free(&cf);
		tl_end();
	}
	return tl_summary();
}
