// SPDX-License-Identifier: GPL-2.0
/* AF_XDP ports on libxdp's xsk.h: UMEM halves for RX (fill ring) and TX (free stack). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_xdp.h>

#include "core/log.h"
#include "serve/xsk.h"

int xsk_iface_rx_queues(const char *ifname)
{
	char path[128];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (!d)
		return 1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "rx-", 3))
			n++;
	closedir(d);
	return n ? n : 1;
}

static int fill_ring_refill(struct xsk_port *p, const __u64 *addrs, __u32 n)
{
	__u32 idx, i;

	if (xsk_ring_prod__reserve(&p->fq, n, &idx) != n)
		return -ENOBUFS;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&p->fq, idx + i) = addrs[i];
	xsk_ring_prod__submit(&p->fq, n);
	return 0;
}

int xsk_port_open(struct xsk_port *p, const char *ifname, __u32 queue, int xskmap_fd, __u32 nframes)
{
	struct xsk_umem_config ucfg = {
		.fill_size = nframes / 2,
		.comp_size = nframes / 2,
		.frame_size = XSK_FRAME_SIZE,
		.frame_headroom = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = nframes / 2,
		.tx_size = nframes / 2,
		/* our own XDP program redirects into the map: libxdp must not load one */
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP,
	};
	size_t size = (size_t)nframes * XSK_FRAME_SIZE;
	__u64 *rx_addrs;
	__u32 i, half = nframes / 2;
	int err;

	memset(p, 0, sizeof(*p));
	p->queue = queue;
	p->nframes = nframes;
	/* ring sizes must be powers of two */
	if (nframes < 4 || (nframes & (nframes - 1)))
		return -EINVAL;
	p->area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->area == MAP_FAILED) {
		p->area = NULL;
		return -errno;
	}
	p->free = calloc(half, sizeof(*p->free));
	rx_addrs = calloc(half, sizeof(*rx_addrs));
	if (!p->free || !rx_addrs) {
		free(rx_addrs);
		xsk_port_close(p);
		return -ENOMEM;
	}
	err = xsk_umem__create(&p->umem, p->area, size, &p->fq, &p->cq, &ucfg);
	if (err) {
		free(rx_addrs);
		xsk_port_close(p);
		return err;
	}
	err = xsk_socket__create(&p->xsk, ifname, queue, p->umem, &p->rx, &p->tx, &scfg);
	if (err) {
		free(rx_addrs);
		xsk_port_close(p);
		return err;
	}
	/* first half of the UMEM receives, second half sends */
	for (i = 0; i < half; i++) {
		rx_addrs[i] = (__u64)i * XSK_FRAME_SIZE;
		p->free[i] = (__u64)(half + i) * XSK_FRAME_SIZE;
	}
	p->nfree = half;
	err = fill_ring_refill(p, rx_addrs, half);
	free(rx_addrs);
	if (!err && xskmap_fd >= 0)
		err = xsk_socket__update_xskmap(p->xsk, xskmap_fd);
	if (err) {
		xsk_port_close(p);
		return err;
	}
	return 0;
}

void xsk_port_close(struct xsk_port *p)
{
	if (p->xsk)
		xsk_socket__delete(p->xsk);
	if (p->umem)
		xsk_umem__delete(p->umem);
	if (p->area)
		munmap(p->area, (size_t)p->nframes * XSK_FRAME_SIZE);
	free(p->free);
	memset(p, 0, sizeof(*p));
}

int xsk_port_fd(const struct xsk_port *p)
{
	return xsk_socket__fd(p->xsk);
}

int xsk_port_rx(struct xsk_port *p, xsk_rx_cb cb, void *ctx, __u32 max)
{
	__u64 addrs[64];
	__u32 idx, n, i;

	if (max > 64)
		max = 64;
	n = xsk_ring_cons__peek(&p->rx, max, &idx);
	if (!n) {
		/* nothing came: the kernel may be waiting to be told the fill ring has frames */
		if (xsk_ring_prod__needs_wakeup(&p->fq))
			recvfrom(xsk_port_fd(p), NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx + i);

		cb(ctx, p->queue, xsk_umem__get_data(p->area, d->addr), d->len,
		   d->addr & ((__u64)XSK_FRAME_SIZE - 1));
		addrs[i] = d->addr & ~((__u64)XSK_FRAME_SIZE - 1);
	}
	xsk_ring_cons__release(&p->rx, n);
	p->rx_frames += n;
	/* the frames go straight back to the kernel: the callback copied what it keeps */
	return fill_ring_refill(p, addrs, n) ?: (int)n;
}

void *xsk_port_tx_buf(struct xsk_port *p, __u64 *addr)
{
	if (!p->nfree) {
		xsk_port_flush(p);
		if (!p->nfree)
			return NULL;
	}
	*addr = p->free[--p->nfree];
	return xsk_umem__get_data(p->area, *addr);
}

int xsk_port_tx(struct xsk_port *p, __u64 addr, __u32 len)
{
	struct xdp_desc *d;
	__u32 idx;

	if (xsk_ring_prod__reserve(&p->tx, 1, &idx) != 1) {
		p->free[p->nfree++] = addr;
		p->tx_full++;
		return -ENOBUFS;
	}
	d = xsk_ring_prod__tx_desc(&p->tx, idx);
	d->addr = addr;
	d->len = len;
	xsk_ring_prod__submit(&p->tx, 1);
	p->tx_pending++;
	p->tx_frames++;
	return 0;
}

int xsk_port_flush(struct xsk_port *p)
{
	__u32 idx, n, i;

	if (p->tx_pending && xsk_ring_prod__needs_wakeup(&p->tx) &&
	    sendto(xsk_port_fd(p), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
	    errno != EBUSY && errno != ENOBUFS)
		return -errno;
	n = xsk_ring_cons__peek(&p->cq, p->nframes / 2, &idx);
	for (i = 0; i < n; i++)
		p->free[p->nfree++] = *xsk_ring_cons__comp_addr(&p->cq, idx + i);
	if (n) {
		xsk_ring_cons__release(&p->cq, n);
		p->tx_pending -= n;
	}
	return 0;
}
