// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <time.h>

#include "core/jsonl.h"

const char *json_ts(void)
{
	static __thread char buf[40];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, sizeof(buf), "{\"ts\":%lld.%03ld", (long long)ts.tv_sec,
		 ts.tv_nsec / 1000000);
	return buf;
}

void json_quote(FILE *f, const char *s)
{
	const unsigned char *c;

	fputc('"', f);
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if (*c == '\n')
			fputs("\\n", f);
		else if (*c == '\t')
			fputs("\\t", f);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(f, "\\u%04x", *c);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}
