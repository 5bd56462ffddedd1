#!/usr/bin/env python3
"""Scale: `monokube node --count N` against `monokube serve` (memory store, plain HTTP on loopback), optionally with a
Deployment of P pods spread over the nodes; reports the time to register and run them, then CPU and RSS of both
processes over a hold period (leases renewing every 10 s).

Usage: python3 bench/nodes.py PATH/TO/monokube NODES [PODS] [HOLD_SECONDS]
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

binary, nodes = sys.argv[1], int(sys.argv[2])
pods = int(sys.argv[3]) if len(sys.argv) > 3 else 0
hold = int(sys.argv[4]) if len(sys.argv) > 4 else 60
work = tempfile.mkdtemp(prefix="monokube-bench-")
kubeconfig = os.path.join(work, "kubeconfig")
ticks = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_mb(pid):
    return int(next(l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")).split()[1]) / 1024


def revision():
    """The store's revision (one per write), from a one-item list's resourceVersion."""
    return int(json.loads(kubectl("get", "--raw", "/api/v1/namespaces?limit=1"))["metadata"]["resourceVersion"])


def kubectl(*args):
    return subprocess.run(["kubectl", "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, check=True).stdout


server = subprocess.Popen([binary, "serve", "--insecure-http", "--secure-port", "0", "--write-kubeconfig", kubeconfig],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
server.stdout.readline()
began = time.monotonic()
agent = subprocess.Popen([binary, "node", "--port", "0", "--address", "127.0.0.1", "--kubeconfig", kubeconfig, "--node-name", "sim", "--count", str(nodes),
                          "--root-dir", os.path.join(work, "node")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    while "registered and ready" not in agent.stdout.readline():
        pass
    registered = time.monotonic() - began
    print(f"{nodes} nodes registered, Ready and leased in {registered:.1f} s")
    if pods:
        began = time.monotonic()
        writes = revision()
        kubectl("create", "deployment", "load", "--image=nginx:1.25", f"--replicas={pods}")
        while True:
            status = json.loads(kubectl("get", "deployment", "load", "-o", "json"))["status"]
            if status.get("availableReplicas", 0) == pods:
                break
            time.sleep(1)
        took = time.monotonic() - began
        writes = revision() - writes
        print(f"{pods} pods scheduled, Running and Ready in {took:.1f} s ({pods / took:.0f} pods/s; {writes} API writes, {writes / took:.0f} writes/s)")
    cpu = {p.pid: cpu_seconds(p.pid) for p in (server, agent)}
    writes = revision()
    time.sleep(hold)
    print(f"holding: {(revision() - writes) / hold:.0f} API writes/s (leases, node status)")
    for name, process in (("serve", server), ("node", agent)):
        used = cpu_seconds(process.pid) - cpu[process.pid]
        print(f"{name}: {100 * used / hold:.1f} % of one core over {hold} s, RSS {rss_mb(process.pid):.0f} MB")
finally:
    agent.terminate()
    agent.wait()
    server.terminate()
    server.wait()
