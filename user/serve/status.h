/* SPDX-License-Identifier: GPL-2.0 */
/* serve as `shakeoff status` shows it: read from its maps, found by program id. */
#ifndef SHAKEOFF_SERVE_STATUS_H
#define SHAKEOFF_SERVE_STATUS_H

#include <linux/types.h>

#include "core/report.h"

/* serve's fields for the report of one interface (prog_id: so_serve_xdp). 0 or -errno. */
int serve_status(struct report *r, __u32 prog_id);

#endif /* SHAKEOFF_SERVE_STATUS_H */
