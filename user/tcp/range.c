// SPDX-License-Identifier: GPL-2.0
/* Range lists: the receiver's out-of-order data and the sender's SACK scoreboard. */
#include <string.h>

#include "tcp/tcp_int.h"

int tcp_range_add(struct tcp_range *r, uint8_t *n, unsigned int max, uint32_t start, uint32_t end)
{
	unsigned int i = 0, j;
	uint32_t s = start, e = end;

	while (i < *n && seq_lt(r[i].end, s))
		i++;
	for (j = i; j < *n && seq_le(r[j].start, e); j++) {
		s = seq_min(s, r[j].start);
		e = seq_max(e, r[j].end);
	}
	if (j == i) {
		if (*n >= max)
			return -1;
		memmove(r + i + 1, r + i, (*n - i) * sizeof(*r));
		(*n)++;
	} else if (j > i + 1) {
		memmove(r + i + 1, r + j, (*n - j) * sizeof(*r));
		*n -= (uint8_t)(j - i - 1);
	}
	r[i].start = s;
	r[i].end = e;
	return (int)i;
}

void tcp_range_trim(struct tcp_range *r, uint8_t *n, uint32_t seq)
{
	unsigned int i = 0;

	while (i < *n && seq_le(r[i].end, seq))
		i++;
	if (i) {
		memmove(r, r + i, (*n - i) * sizeof(*r));
		*n -= (uint8_t)i;
	}
	if (*n && seq_lt(r[0].start, seq))
		r[0].start = seq;
}

void tcp_sack_update(struct tcb *c, const struct tcp_seg *seg)
{
	unsigned int i;

	for (i = 0; i < seg->nsack && i < TCP_SACK_BLOCKS_MAX; i++) {
		uint32_t s = seq_max(seg->sack[i].start, c->snd_una);
		uint32_t e = seq_min(seg->sack[i].end, c->snd_max);

		/* a block wider than anything we sent is nonsense; ignore it */
		if (seq_lt(s, e) && e - s <= c->sbuf_size + 1)
			tcp_range_add(c->score, &c->nscore, TCP_SCORE_MAX, s, e);
	}
}
