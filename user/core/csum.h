/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Internet checksum (RFC 1071) of frames the controller builds, with the
 * kernel's contract (and bpf/lib/csum.h's): a sum is of 16-bit words as they
 * lie in memory (wire order), so a value in host order is added as
 * htons(value); csum_fold() gives the field's bytes, stored as they are.
 */
#ifndef SHAKEOFF_CSUM_H
#define SHAKEOFF_CSUM_H

#include <stddef.h>
#include <linux/types.h>

/*
 * sum plus buf's bytes as 16-bit words in wire order (an odd last byte padded
 * with zero), not yet folded. buf must start at an even offset of what is
 * summed. Eight bytes per step: one's complement addition does not care
 * about byte order (RFC 1071 2.B), so words are added as loaded.
 */
__u32 csum_add(__u32 sum, const void *buf, size_t len);
/* The checksum field of a wire-order sum: folded and complemented, to store as is. */
__u16 csum_fold(__u32 sum);

#endif /* SHAKEOFF_CSUM_H */
