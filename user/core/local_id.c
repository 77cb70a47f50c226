// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <netinet/in.h>

#include "core/iface.h"
#include "core/local_id.h"
#include "core/log.h"

int local_id_add(struct local_id *id, int family, const void *addr)
{
	bool v6 = family == AF_INET6;
	__u32 w[4] = { 0 }, bit;

	if (!v6 && id->nself4 < LOCAL_MAX_SELF)
		memcpy(&id->self4[id->nself4++], addr, 4);
	else if (v6 && id->nself6 < LOCAL_MAX_SELF)
		memcpy(id->self6[id->nself6++], addr, 16);
	else
		return -1;
	memcpy(w, addr, v6 ? 16 : 4);
	bit = local_self_bit(w, v6);
	id->self_bloom[bit >> 6] |= 1ULL << (bit & 63);
	return 0;
}

int local_id_fill(struct local_id *id, const char *ifname)
{
	struct ip_addr all[4 * LOCAL_MAX_SELF];
	bool truncated;
	int i, n = host_addrs(all, sizeof(all) / sizeof(all[0]), &truncated);

	memset(id, 0, sizeof(*id));
	if (n < 0) {
		pr_warn("Failed to list this host's addresses: %s\n", strerror(-n));
		return 1;
	}
	for (i = 0; i < n; i++)
		if (local_id_add(id, all[i].family, all[i].bytes))
			truncated = true;
	if (truncated)
		pr_info("this host has more than %d addresses per family: the others are not "
			"refused as sources in XDP (Linux still drops those segments)\n",
			LOCAL_MAX_SELF);
	if (iface_mac(ifname, (__u8 *)id->mac))
		memset(id->mac, 0, sizeof(id->mac)); /* no MAC (a tunnel): nothing to check */
	return 0;
}
