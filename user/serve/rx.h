/* SPDX-License-Identifier: GPL-2.0 */
/* A frame from an AF_XDP port to its connection block and the TCP engine. */
#ifndef SHAKEOFF_SERVE_RX_H
#define SHAKEOFF_SERVE_RX_H

#include <linux/types.h>

/* An xsk_rx_cb; ctx is the struct serve. */
void serve_rx(void *ctx, __u32 queue, void *data, __u32 len, __u32 headroom);

#endif /* SHAKEOFF_SERVE_RX_H */
