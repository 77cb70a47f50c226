#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""What runs at tcx ingress of an interface in this network namespace.

    tcx_query.py IFACE   ->  {"ifindex": 2, "prog_ids": [..], "link_ids": [..]}

bpf(BPF_PROG_QUERY) with BPF_TCX_INGRESS, straight from ctypes: the
bpftool of Debian 12 (7.1) does not know tcx, and the check must not rely
on shakeoff itself.
"""
import ctypes
import json
import os
import platform
import socket
import sys

SYS_BPF = {"x86_64": 321, "aarch64": 280}
BPF_PROG_QUERY = 16
BPF_TCX_INGRESS = 46
MAX = 64


class QueryAttr(ctypes.Structure):
    _fields_ = [
        ("target_ifindex", ctypes.c_uint32),
        ("attach_type", ctypes.c_uint32),
        ("query_flags", ctypes.c_uint32),
        ("attach_flags", ctypes.c_uint32),
        ("prog_ids", ctypes.c_uint64),
        ("prog_cnt", ctypes.c_uint32),
        ("pad", ctypes.c_uint32),
        ("prog_attach_flags", ctypes.c_uint64),
        ("link_ids", ctypes.c_uint64),
        ("link_attach_flags", ctypes.c_uint64),
        ("revision", ctypes.c_uint64),
    ]


def main():
    ifindex = socket.if_nametoindex(sys.argv[1])
    progs = (ctypes.c_uint32 * MAX)()
    links = (ctypes.c_uint32 * MAX)()
    attr = QueryAttr(target_ifindex=ifindex, attach_type=BPF_TCX_INGRESS,
                     prog_ids=ctypes.addressof(progs), prog_cnt=MAX,
                     link_ids=ctypes.addressof(links))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(SYS_BPF[platform.machine()], BPF_PROG_QUERY, ctypes.byref(attr),
                    ctypes.sizeof(attr)) < 0:
        err = ctypes.get_errno()
        if err != 2:  # ENOENT: nothing attached yet
            sys.exit(f"BPF_PROG_QUERY: {os.strerror(err)}")
        attr.prog_cnt = 0
    n = min(attr.prog_cnt, MAX)
    print(json.dumps({"ifindex": ifindex, "prog_ids": list(progs[:n]),
                      "link_ids": [i for i in links[:n]]}))


if __name__ == "__main__":
    main()
