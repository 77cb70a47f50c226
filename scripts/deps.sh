#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages that build, tests, demo and bench need — only the missing ones.
set -eu

pkgs=(
	clang llvm make gcc pkg-config
	libbpf-dev libxdp-dev libelf-dev zlib1g-dev bpftool linux-libc-dev
	iproute2 nftables curl tcpdump jq libcap2-bin python3 python3-scapy
	gnuplot-nox clang-format clang-tidy man-db groff-base binutils file systemd
	nginx-light hping3 wrk apache2-utils ethtool
	xdp-tools
	xxd chromium python3-prometheus-client
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${missing[*]}; run 'make deps' as root" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
