// SPDX-License-Identifier: GPL-2.0
/*
 * user/xsk.c on a real veth pair in a private network namespace: frames sent
 * on one end arrive in the AF_XDP socket of the other, frames the socket
 * sends arrive on the first end, and the UMEM keeps working when many more
 * frames pass than it holds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "testlib.h"
#include "core/iface.h"
#include "serve/xsk.h"
#include "xsktest.skel.h"

#define TEST_ETHERTYPE 0x0800

struct rx_log {
	unsigned int n;
	unsigned int other; /* frames that are not the test's */
	unsigned char last[256];
	__u32 last_len;
	__u32 last_meta[8]; /* the 32 bytes before the frame, if there was room */
	__u32 last_headroom;
};

static void on_rx(void *ctx, __u32 queue, void *data, __u32 len, __u32 headroom)
{
	struct rx_log *log = ctx;

	(void)queue;
	/* IPv6 frames of the kernel's own (router solicitation, MLD) are not the test's */
	if (len < sizeof(struct ethhdr) ||
	    ((struct ethhdr *)data)->h_proto != htons(TEST_ETHERTYPE)) {
		log->other++;
		return;
	}
	log->n++;
	log->last_len = len < sizeof(log->last) ? len : sizeof(log->last);
	memcpy(log->last, data, log->last_len);
	log->last_headroom = headroom;
	if (headroom >= sizeof(log->last_meta))
		memcpy(log->last_meta, (__u8 *)data - sizeof(log->last_meta),
		       sizeof(log->last_meta));
}

/* An Ethernet frame with an IPv4 ethertype and a marker payload (not a valid IP packet:
 * XDP redirects by ethertype, nothing parses further). */
static size_t frame(unsigned char *buf, const __u8 *dst, const __u8 *src, __u32 marker)
{
	struct ethhdr *eth = (void *)buf;

	memcpy(eth->h_dest, dst, 6);
	memcpy(eth->h_source, src, 6);
	eth->h_proto = htons(TEST_ETHERTYPE);
	memset(buf + sizeof(*eth), 0x5a, 50);
	memcpy(buf + sizeof(*eth), &marker, sizeof(marker));
	return sizeof(*eth) + 50;
}

static int packet_socket(int ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
	int rcvbuf = 16 << 20;

	/* room for every frame of the bulk cases: they are read only at the end */
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (fd >= 0 && bind(fd, (void *)&sll, sizeof(sll))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Drain the socket until a frame carrying marker arrives (1 s at most). */
static bool packet_wait(int fd, __u32 marker)
{
	unsigned char buf[2048];
	int i;

	for (i = 0; i < 100; i++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		poll(&pfd, 1, 10);
		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			if (n >= 18 && !memcmp(buf + 14, &marker, sizeof(marker)))
				return true;
	}
	return false;
}

static unsigned int xsk_wait(struct xsk_port *p, struct rx_log *log, unsigned int want)
{
	int i;

	for (i = 0; i < 200 && log->n < want; i++) {
		struct pollfd pfd = { .fd = xsk_port_fd(p), .events = POLLIN };

		poll(&pfd, 1, 10);
		xsk_port_rx(p, on_rx, log, 64);
	}
	return log->n;
}

int main(void)
{
	__u8 mac_a[6], mac_b[6];
	struct xsktest_bpf *skel = NULL;
	struct xsk_port port = {};
	struct rx_log log = {};
	unsigned char buf[256];
	int ia, ib, pfd = -1, err, i;
	size_t len;

	if (geteuid()) {
		printf("skip: needs root\n0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) ||
	    system("ip link set lo up && ip link add xsa type veth peer name xsb && "
		   "sysctl -qw net.ipv6.conf.xsa.disable_ipv6=1 net.ipv6.conf.xsb.disable_ipv6=1 && "
		   "ip link set xsa up && ip link set xsb up")) {
		printf("FAIL setup: could not make a veth pair\n0 passed, 1 failed\n");
		return 1;
	}
	ia = iface_index("xsa");
	ib = iface_index("xsb");
	iface_mac("xsa", mac_a);
	iface_mac("xsb", mac_b);

	tl_begin("xsk: open a port on the queues of a veth");
	skel = xsktest_bpf__open_and_load();
	if (!ASSERT(skel, "load xsktest"))
		goto out1;
	err = bpf_xdp_attach(ib, bpf_program__fd(skel->progs.so_xsktest), XDP_FLAGS_DRV_MODE, NULL);
	if (!ASSERT(!err, "attach XDP: %s", strerror(-err)))
		goto out1;
	ASSERT_EQ(xsk_iface_rx_queues("xsb"), 1, "RX queues of a default veth");
	err = xsk_port_open(&port, "xsb", 0, bpf_map__fd(skel->maps.xsktest_xsks), 64);
	ASSERT(!err, "xsk_port_open: %s", strerror(-err));
out1:
	if (!tl_end())
		goto out;

	pfd = packet_socket(ia);
	tl_begin("xsk: a frame sent on the peer arrives in the socket, unchanged");
	if (!ASSERT(pfd >= 0, "packet socket: %s", strerror(errno)))
		goto out2;
	len = frame(buf, mac_b, mac_a, 0x11111111);
	if (!ASSERT(send(pfd, buf, len, 0) == (ssize_t)len, "send: %s", strerror(errno)))
		goto out2;
	if (!ASSERT_EQ(xsk_wait(&port, &log, 1), 1, "frames received"))
		goto out2;
	ASSERT_EQ(log.last_len, (__u32)len, "length");
	ASSERT_MEM_EQ(log.last, buf, len, "frame");
	/* copy mode carries XDP metadata along: serve's controller relies on it */
	ASSERT(log.last_headroom >= 32, "headroom %u before the frame", log.last_headroom);
	for (i = 0; i < 8; i++)
		ASSERT(log.last_meta[i] == 0x11111111U, "metadata word %d: %#x", i,
		       log.last_meta[i]);
out2:
	tl_end();

	tl_begin("xsk: a frame the socket sends arrives on the peer");
	{
		__u64 addr;
		void *tx = xsk_port_tx_buf(&port, &addr);

		if (!ASSERT(tx, "no TX buffer"))
			goto out3;
		len = frame(tx, mac_a, mac_b, 0x22222222);
		if (!ASSERT(!xsk_port_tx(&port, addr, len), "xsk_port_tx") ||
		    !ASSERT(!xsk_port_flush(&port), "flush"))
			goto out3;
		ASSERT(packet_wait(pfd, 0x22222222), "the frame did not arrive on xsa");
	}
out3:
	tl_end();

	tl_begin("xsk: 2000 frames through a 32-frame RX half (fill ring refilled)");
	memset(&log, 0, sizeof(log));
	for (i = 0; i < 2000; i++) {
		len = frame(buf, mac_b, mac_a, 0x33330000 + i);
		send(pfd, buf, len, 0);
		if (i % 16 == 15)
			xsk_port_rx(&port, on_rx, &log, 64);
	}
	xsk_wait(&port, &log, 2000);
	/* a full RX ring drops in the kernel; most must make it */
	ASSERT(log.n >= 1900, "only %u of 2000 frames arrived", log.n);
	tl_note("received %u of 2000", log.n);
	tl_end();

	tl_begin("xsk: 1000 frames sent through a 32-frame TX half (completions recycled)");
	for (i = 0; i < 1000; i++) {
		__u64 addr;
		void *tx = xsk_port_tx_buf(&port, &addr);

		if (!tx) {
			ASSERT(false, "no TX buffer after %d frames", i);
			break;
		}
		len = frame(tx, mac_a, mac_b, 0x44440000 + i);
		while (xsk_port_tx(&port, addr, len) == -ENOBUFS) {
			xsk_port_flush(&port);
			tx = xsk_port_tx_buf(&port, &addr);
			if (!tx)
				break;
			len = frame(tx, mac_a, mac_b, 0x44440000 + i);
		}
		xsk_port_flush(&port);
	}
	ASSERT(packet_wait(pfd, 0x44440000 + 999), "the last frame did not arrive");
	tl_end();
out:
	if (pfd >= 0)
		close(pfd);
	xsk_port_close(&port);
	if (ib > 0)
		bpf_xdp_detach(ib, XDP_FLAGS_DRV_MODE, NULL);
	xsktest_bpf__destroy(skel);
	return tl_summary();
}
