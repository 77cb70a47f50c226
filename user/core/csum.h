/* SPDX-License-Identifier: GPL-2.0 */
/* The Internet checksum (RFC 1071) of frames the controller builds. */
#ifndef SHAKEOFF_CSUM_H
#define SHAKEOFF_CSUM_H

#include <stddef.h>
#include <linux/types.h>

/*
 * sum plus buf's bytes taken as big-endian 16-bit words (an odd last byte
 * padded with zero), not yet folded. buf must start at an even offset of
 * what is summed. Eight bytes per step: one's complement addition does not
 * care about byte order (RFC 1071 2.B), so words are added as loaded and
 * the result turned to big-endian once.
 */
__u32 csum_add(__u32 sum, const void *buf, size_t len);
/* The checksum field's bytes for a sum from csum_add (network order). */
__u16 csum_fold(__u32 sum);

#endif /* SHAKEOFF_CSUM_H */
