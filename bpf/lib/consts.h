/* SPDX-License-Identifier: GPL-2.0 */
/* Protocol constants vmlinux.h does not carry (they are macros in the kernel). */
#ifndef SO_BPF_CONSTS_H
#define SO_BPF_CONSTS_H

#ifndef SO_INLINE
#define SO_INLINE static inline __attribute__((always_inline))
#endif

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

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10
#define TCP_FLAG_URG 0x20
#define TCP_FLAG_ECE 0x40
#define TCP_FLAG_CWR 0x80

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WINDOW 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_TIMESTAMP 8

#define TCP_MAX_WSCALE 14
#define TCP_MAX_OPT_LEN 40

/* VLAN tags we walk in front of the IP header. */
#ifndef MAX_VLAN_TAGS
#define MAX_VLAN_TAGS 2
#endif

/* IPv6 extension headers we walk before giving up (hop-by-hop, destination options). */
#ifndef MAX_IP6_EXT
#define MAX_IP6_EXT 2
#endif

#define TCP_STATE_ESTABLISHED 1
#define TCP_STATE_LISTEN 10

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

#endif /* SO_BPF_CONSTS_H */
