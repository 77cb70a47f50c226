/* SPDX-License-Identifier: GPL-2.0 */
/* Protocol constants vmlinux.h does not carry (they are macros in the kernel). */
#ifndef SHAKEOFF_BPF_CONSTS_H
#define SHAKEOFF_BPF_CONSTS_H

#include <shakeoff/inline.h>
#include <shakeoff/tcp_wire.h>

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

#define IPPROTO_HOPOPTS 0
#define IPPROTO_TCP 6
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_DSTOPTS 60

#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF
#define IP_DF 0x4000

/* VLAN tags we walk in front of the IP header. */
#ifndef MAX_VLAN_TAGS
#define MAX_VLAN_TAGS 2
#endif

/* IPv6 extension headers we walk before giving up (hop-by-hop, destination options). */
#ifndef MAX_IP6_EXT
#define MAX_IP6_EXT 2
#endif

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

#endif /* SHAKEOFF_BPF_CONSTS_H */
