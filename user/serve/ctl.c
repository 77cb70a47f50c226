// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "serve/ctl.h"
#include "core/log.h"

void ctl_init(struct ctl_batch *b, int prog_fd, const char *ifname)
{
	memset(b, 0, sizeof(*b));
	b->prog_fd = prog_fd;
	b->ifname = ifname;
}

void ctl_flush(struct ctl_batch *b)
{
	struct serve_ctl *req = &b->req;
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = req, .ctx_size_in = sizeof(*req));
	int err;
	__u32 i;

	if (!req->n)
		return;
	err = bpf_prog_test_run_opts(b->prog_fd, &o);
	if (err) {
		if (!b->failed++)
			pr_warn("%s: %s failed: %s; flow table changes are lost\n", b->ifname,
				SERVE_CTL_PROG_NAME, strerror(-err));
		req->n = 0;
		return;
	}
	for (i = 0; i < req->n; i++) {
		const struct serve_ctl_op *op = &req->ops[i];

		if (op->result != SERVE_CTL_OK || op->kind == SERVE_CTL_NONE)
			continue;
		if (b->seen[i])
			*b->seen[i] = b->want[i];
		if (b->count[i])
			(*b->count[i])++;
	}
	req->n = 0;
}

struct serve_ctl_op *ctl_add(struct ctl_batch *b, __u8 kind, const struct serve_flow_key *k,
			     __u32 iss, __u32 irs, __u64 *count)
{
	struct serve_ctl_op *op;

	if (b->req.n == SERVE_CTL_OPS)
		ctl_flush(b);
	op = &b->req.ops[b->req.n];
	memset(op, 0, sizeof(*op));
	op->key = *k;
	op->kind = kind;
	op->iss = iss;
	op->irs = irs;
	b->count[b->req.n] = count;
	b->seen[b->req.n] = NULL;
	b->req.n++;
	return op;
}

void ctl_note_seen(struct ctl_batch *b, const struct serve_ctl_op *op, __u8 *seen)
{
	__u32 i = (__u32)(op - b->req.ops);

	/* the kernel writes the state it found into op->state: keep the one asked for */
	b->want[i] = op->state;
	b->seen[i] = seen;
}

void ctl_forget(struct ctl_batch *b, const __u8 *seen)
{
	__u32 i;

	for (i = 0; i < b->req.n; i++)
		if (b->seen[i] == seen) {
			b->req.ops[i].kind = SERVE_CTL_NONE;
			b->seen[i] = NULL;
		}
}
