/* SPDX-License-Identifier: GPL-2.0 */
/* serve's metric families for --metrics (metrics/metrics.h serves them). */
#ifndef SHAKEOFF_SERVE_METRICS_H
#define SHAKEOFF_SERVE_METRICS_H

struct serve;
struct serve_metrics;

/*
 * Serve s's counters and flows by state on spec (ADDR:PORT), from maps
 * opened anew by the attached program's id. 0 or an exit code after one line.
 */
int serve_metrics_start(struct serve_metrics **sm, const struct serve *s, const char *spec);
void serve_metrics_stop(struct serve_metrics *sm);
/* The verdict family of counter id and in *reason its label value; NULL if none takes it. */
const char *serve_metrics_family_of(unsigned int id, const char **reason);

#endif /* SHAKEOFF_SERVE_METRICS_H */
