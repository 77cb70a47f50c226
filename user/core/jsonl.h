/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The start of every JSON line shakeoff prints: `{"ts":SECONDS.MMM`, the
 * wall clock (CLOCK_REALTIME) as Unix seconds with milliseconds, so lines
 * from guard, serve, stats, status, conns, flood and lab line up with each
 * other and with other logs. Print it with "%s" and go on with ",\"key\":...":
 *   printf("%s,\"event\":\"x\"}\n", json_ts());
 */
#ifndef SHAKEOFF_JSONL_H
#define SHAKEOFF_JSONL_H

#include <stdio.h>

/* `{"ts":SECONDS.MMM` for now; a buffer of this thread's, valid until its next call. */
const char *json_ts(void);

/* s as a JSON string: quoted; '"', '\\', newline, tab and the other control bytes escaped. */
void json_quote(FILE *f, const char *s);

#endif /* SHAKEOFF_JSONL_H */
