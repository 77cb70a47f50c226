/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Config files: "key = value" lines, each key a long option of the command
 * (without the dashes), turned into the argv those options would be on the
 * command line, so the command's one option parser reads both. '#' starts a
 * comment at the start of a line or after a blank; blank lines are skipped;
 * a repeatable option's key may be repeated; a flag's value is yes or no.
 */
#ifndef SHAKEOFF_CONFFILE_H
#define SHAKEOFF_CONFFILE_H

#include <stddef.h>

#include "cmd/optab.h"

struct conf_file {
	int argc; /* argv[0] is the command's name; then "--key=value" or "--key" */
	char **argv;
	char **where; /* where[i]: "FILE:LINE" of argv[i] (where[0]: FILE) */
};

/*
 * Read path as options of cmd's table t. Keys in refuse (NULL-ended, may be
 * NULL) are not allowed in a file. Returns 0, or EXIT_USAGE after one line
 * "shakeoff CMD: FILE:LINE: problem" on stderr (cf is then empty).
 */
int conf_read(const char *path, const char *cmd, const struct optab *t, const char *const *refuse,
	      struct conf_file *cf);
/* The same from text in memory; name stands for the file in messages. */
int conf_parse(const char *text, size_t len, const char *name, const char *cmd,
	       const struct optab *t, const char *const *refuse, struct conf_file *cf);
void conf_free(struct conf_file *cf);

#endif /* SHAKEOFF_CONFFILE_H */
