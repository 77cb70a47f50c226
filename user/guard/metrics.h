/* SPDX-License-Identifier: GPL-2.0 */
/* guard's metric families for --metrics (metrics/metrics.h serves them). */
#ifndef SHAKEOFF_GUARD_METRICS_H
#define SHAKEOFF_GUARD_METRICS_H

struct guard;
struct guard_metrics;

/*
 * Serve g's counters and port flags on spec (ADDR:PORT), from maps opened
 * anew by the attached program's id. 0 or an exit code after one line.
 */
int guard_metrics_start(struct guard_metrics **gm, const struct guard *g, const char *spec);
void guard_metrics_stop(struct guard_metrics *gm);
/*
 * The verdict family (shakeoff_guard_xdp_drop_total, ...) of counter id and
 * in *reason its label value; NULL if no family takes the counter.
 */
const char *guard_metrics_family_of(unsigned int id, const char **reason);

#endif /* SHAKEOFF_GUARD_METRICS_H */
