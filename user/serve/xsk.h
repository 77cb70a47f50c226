/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_XDP ports: one socket per RX queue of an interface, each with its own
 * UMEM, built on libxdp's xsk.h (program loading inhibited: our own XDP
 * program redirects into the XSKMAP). Copy mode where the driver has no
 * zero-copy (veth), need_wakeup always.
 */
#ifndef SHAKEOFF_XSK_H
#define SHAKEOFF_XSK_H

#include <stdbool.h>
#include <linux/types.h>
#include <xdp/xsk.h>

#define XSK_FRAME_SIZE 4096
#define XSK_DEFAULT_FRAMES 4096

struct xsk_port {
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	void *area; /* UMEM memory */
	__u32 nframes;
	__u32 queue;
	struct xsk_ring_prod fq; /* fill: frames we give the kernel for RX */
	struct xsk_ring_cons cq; /* completion: TX frames the kernel is done with */
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	__u64 *free; /* stack of free frame addresses */
	__u32 nfree;
	__u32 tx_pending; /* submitted, not yet completed */
	__u64 rx_frames, tx_frames, tx_full;
};

/* Number of RX queues of an interface (1 if it cannot be told). */
int xsk_iface_rx_queues(const char *ifname);

/*
 * Open a socket on ifname/queue with nframes frames of UMEM (half for RX),
 * and put it into the XSKMAP xskmap_fd at index queue. 0 or -errno.
 */
int xsk_port_open(struct xsk_port *p, const char *ifname, __u32 queue, int xskmap_fd,
		  __u32 nframes);
void xsk_port_close(struct xsk_port *p);
int xsk_port_fd(const struct xsk_port *p);

/*
 * Hand each received frame to cb (at most max); returns how many, or -errno.
 * headroom: bytes of the frame's buffer before data, which cb may read and
 * write (XDP metadata ends at data); the buffer goes back to the kernel after.
 */
typedef void (*xsk_rx_cb)(void *ctx, __u32 queue, void *data, __u32 len, __u32 headroom);
int xsk_port_rx(struct xsk_port *p, xsk_rx_cb cb, void *ctx, __u32 max);

/* A frame buffer to build a frame to send in, or NULL when none is free. */
void *xsk_port_tx_buf(struct xsk_port *p, __u64 *addr);
/* Queue a built frame; xsk_port_flush() sends what was queued. 0 or -ENOBUFS. */
int xsk_port_tx(struct xsk_port *p, __u64 addr, __u32 len);
/* Kick the kernel if it asks to, and take back completed frames. */
int xsk_port_flush(struct xsk_port *p);

#endif /* SHAKEOFF_XSK_H */
