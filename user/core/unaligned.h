/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet fields at any byte offset: loads and stores of 16- and 32-bit words
 * in network byte order through memcpy, which compilers turn into one move
 * where the CPU allows it and which is never a misaligned access in C's eyes.
 */
#ifndef SHAKEOFF_UNALIGNED_H
#define SHAKEOFF_UNALIGNED_H

#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

static inline uint16_t get_be16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return ntohs(v);
}

static inline uint32_t get_be32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

static inline void put_be16(void *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, sizeof(v));
}

static inline void put_be32(void *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, sizeof(v));
}

/* A 16-bit field already in wire order (a checksum, a port). */
static inline void put_raw16(void *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

#endif /* SHAKEOFF_UNALIGNED_H */
