# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# nginx in the server namespace of a topology (topo.sh), for tests and bench;
# its configuration, logs and files all in DIR, never the system's.
#   nginx_up DIR ADDR PORT   serves DIR/www/index.html ("hello") on ADDR:PORT in
#                            $TOPO-srv, one worker, no master; NGINX_PID is set
#                            (the nginx itself: kill it to stop it)
#   nginx_down               ends it
#   nginx_accepts ADDR PORT  connections nginx accepted so far (stub_status), this
#                            fetch's own included; from $TOPO-srv itself (lo, no guard)
# Returns 1 with nginx's error log on stdout if it does not listen within ~5 s.

nginx_up() {
	local d=$1 addr=$2 port=$3
	mkdir -p "$d/www" && echo hello >"$d/www/index.html"
	cat >"$d/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
	access_log $d/access.log;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	server {
		listen $addr:$port backlog=4096;
		root $d/www;
		location = /nginx_status { stub_status; access_log off; }
	}
}
EOF
	: >"$d/access.log"
	# Not through srv(): $! must be nginx itself.
	ip netns exec "$TOPO-srv" nginx -c "$d/nginx.conf" -p "$d" -e "$d/error.log" &
	NGINX_PID=$!
	wait_listen "$port" && return 0
	cat "$d/error.log"
	return 1
}

nginx_down() {
	[ -n "${NGINX_PID:-}" ] || return 0
	kill "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=
}

nginx_accepts() {
	ip netns exec "$TOPO-srv" curl -s --max-time 5 "http://$1:$2/nginx_status" |
		awk 'NR == 3 { print $1 }'
}
