/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guard_cfg the smaller unit tests run guard with: one protected IPv4
 * address, the MSS and windows of a 1500-byte MTU, wscale 7, TTL 64,
 * cookies always, a fixed slot. (test_guard.c has a fuller one of its own.)
 */
#ifndef SHAKEOFF_TEST_GUARD_CFG_H
#define SHAKEOFF_TEST_GUARD_CFG_H

#include <stdint.h>
#include <string.h>
#include <linux/types.h>
#include <shakeoff/guard_abi.h>

static inline struct guard_cfg test_guard_cfg4(const uint8_t srv4[4], const uint8_t mac[6],
					       __u64 slot)
{
	struct guard_cfg c;

	memset(&c, 0, sizeof(c));
	memcpy(&c.addr4[0], srv4, 4);
	c.naddr4 = 1;
	c.mss4 = 1460;
	c.mss6 = 1440;
	c.win4 = 64240;
	c.win6 = 64800;
	c.wscale = 7;
	c.ttl = 64;
	c.mode = GUARD_COOKIES_ALWAYS;
	c.slot_override = slot;
	memcpy(c.id.mac, mac, 6);
	return c;
}

#endif /* SHAKEOFF_TEST_GUARD_CFG_H */
