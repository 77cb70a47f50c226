#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The Linux reference for the conformance scenarios: the kernel's TCP with
the applications shakeoff serve offers (see scenarios.py).

    ref_server.py PORT:APP [PORT:APP ...]     APP: echo | discard | closefirst

Dual-stack listeners on [::]. echo sets TCP_NODELAY so that each read is
written back at once, as serve's echo does (Nagle would hold a second small
write until the first is acknowledged).
"""
import socket
import sys
import threading


def echo(conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        data = conn.recv(65536)
        if not data:
            break
        conn.sendall(data)


def discard(conn):
    while conn.recv(65536):
        pass


def closefirst(conn):
    pass


APPS = {"echo": echo, "discard": discard, "closefirst": closefirst}


def run(conn, app):
    try:
        app(conn)
    except OSError:
        pass
    finally:
        conn.close()


def listen(port, app):
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", port))
    ls.listen(128)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=run, args=(conn, app), daemon=True).start()


def main():
    threads = []
    for spec in sys.argv[1:]:
        port, app = spec.split(":")
        t = threading.Thread(target=listen, args=(int(port), APPS[app]), daemon=True)
        t.start()
        threads.append(t)
    print("listening", flush=True)
    for t in threads:
        t.join()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
