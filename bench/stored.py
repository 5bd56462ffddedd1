#!/usr/bin/env python3
"""Memory with objects stored: `monokube serve` (memory store, plain HTTP on loopback) idle, then with PODS pods
created through the API by 8 keep-alive clients (pods as a Deployment's would be, left unscheduled: no nodes),
reporting its RSS idle, right after the creates, and after a hold once the controllers have settled (no new
writes but the leader-election leases for 5 s).

Usage: python3 bench/stored.py PATH/TO/monokube [PODS] [HOLD_SECONDS] [serve flags...]
"""
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

binary = sys.argv[1]
pods = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
hold = int(sys.argv[3]) if len(sys.argv) > 3 else 30
flags = sys.argv[4:]
work = tempfile.mkdtemp(prefix="monokube-bench-")
kubeconfig = os.path.join(work, "kubeconfig")
clients = 8


def rss_mb(pid):
    return int(next(l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")).split()[1]) / 1024


def pod(i):
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"load-{i:05d}", "labels": {"app": "load", "pod-template-hash": "7b84c5f95f"}},
        "spec": {"containers": [{
            "name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80, "protocol": "TCP"}],
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
            "env": [{"name": "MODE", "value": "bench"}],
            "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 10}}]},
    }).encode()


def revision(connection):
    connection.request("GET", "/api/v1/namespaces?limit=1")
    return int(json.loads(connection.getresponse().read())["metadata"]["resourceVersion"])


server = subprocess.Popen([binary, "serve", "--insecure-http", "--secure-port", "0", "--write-kubeconfig", kubeconfig, *flags],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    server.stdout.readline()
    server_url = next(l.split()[-1] for l in open(kubeconfig) if l.strip().startswith("server:"))
    host, port = server_url.removeprefix("http://").split(":")
    connect = lambda: http.client.HTTPConnection(host, int(port))
    probe = connect()
    deadline = time.monotonic() + 30
    while True:
        try:
            probe.request("GET", "/readyz")
            if probe.getresponse().read() == b"ok":
                break
        except OSError:
            probe = connect()
        if time.monotonic() > deadline:
            raise SystemExit("monokube serve did not become ready in 30 s")
        time.sleep(0.05)
    time.sleep(2)
    print(f"idle: RSS {rss_mb(server.pid):.0f} MB")

    failures = []

    def create(worker):
        connection = connect()
        for i in range(worker, pods, clients):
            connection.request("POST", "/api/v1/namespaces/default/pods", pod(i), {"Content-Type": "application/json"})
            response = connection.getresponse()
            body = response.read()
            if response.status != 201:
                failures.append(f"{response.status} {body[:200]!r}")

    began = time.monotonic()
    threads = [threading.Thread(target=create, args=(w,)) for w in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - began
    if failures:
        raise SystemExit(f"{len(failures)} creates failed, e.g. {failures[0]}")
    print(f"{pods} pods created in {took:.1f} s ({pods / took:.0f}/s): RSS {rss_mb(server.pid):.0f} MB")

    # Settled: the controllers' work is done when only the two leader-election leases still renew (every 2 s).
    last = revision(probe)
    while True:
        time.sleep(5)
        now = revision(probe)
        if now - last <= 6:
            break
        last = now
    print(f"settled at revision {now}: RSS {rss_mb(server.pid):.0f} MB")
    time.sleep(hold)
    status = open(f"/proc/{server.pid}/status").read()
    peak = int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1]) / 1024
    print(f"after {hold} s more: RSS {rss_mb(server.pid):.0f} MB (peak {peak:.0f} MB)")
finally:
    server.terminate()
    server.wait()
