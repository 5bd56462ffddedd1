#!/usr/bin/env python3
"""Cold start of the native binary to the first 200 on /readyz, and its idle RSS half a second later and 7 s later
(after `serve` has had its first quiet period, when it releases what its start left in the heap).

Usage: python3 bench/coldstart.py [--floor PATH/TO/coldstart-floor] [--etcd] PATH/TO/monokube [extra serve flags...]

Runs 5 times and prints each run and the medians. With --floor, each run first starts the floor (bench/ColdStartFloor,
the smallest native Kestrel server answering /readyz, published the same way) and measures it the same way, so the
figures show what monokube adds to what any native ASP.NET Core server costs on this machine at this moment.
With --etcd, it first starts an etcd of its own (on loopback, its data in a temporary directory) and waits until it
answers, then starts each run of `serve` against it under a fresh --etcd-prefix: every start finds an empty store and
writes the system namespaces and the default RBAC policy before it is ready, as on a new cluster's first master.
"""
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

args = sys.argv[1:]
floor = None
with_etcd = False
while args[:1] in (["--floor"], ["--etcd"]):
    if args[0] == "--floor":
        floor, args = args[1], args[2:]
    else:
        with_etcd, args = True, args[1:]
binary, extra = args[0], args[1:]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_etcd(directory):
    """Starts etcd on two free loopback ports; returns (process, client URL) once it answers /health."""
    client, peer = free_port(), free_port()
    url = f"http://127.0.0.1:{client}"
    process = subprocess.Popen(
        ["etcd", "--name", "coldstart", "--data-dir", os.path.join(directory, "etcd"),
         "--listen-client-urls", url, "--advertise-client-urls", url,
         "--listen-peer-urls", f"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
         "--initial-cluster", f"coldstart=http://127.0.0.1:{peer}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if b'"health":"true"' in urllib.request.urlopen(url + "/health").read():
                return process, url
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit("coldstart.py: etcd did not answer /health within 30 s")


def start(command):
    """Starts a server, waits for its first 200 on /readyz; returns (milliseconds, RSS in MB 0.5 s and 7 s later)."""
    began = time.monotonic()
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = re.search(r"on (\S+)", server.stdout.readline()).group(1)
    while True:
        try:
            if urllib.request.urlopen(url + "/readyz").status == 200:
                break
        except OSError:
            time.sleep(0.001)
    elapsed = (time.monotonic() - began) * 1000
    time.sleep(0.5)
    early = rss_mb(server.pid)
    time.sleep(6.5)
    settled = rss_mb(server.pid)
    server.terminate()
    server.wait()
    return elapsed, early, settled


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(next(l for l in status if l.startswith("VmRSS")).split()[1]) / 1024


etcd, etcd_url = None, None
workdir = tempfile.TemporaryDirectory(prefix="coldstart-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
if with_etcd:
    etcd, etcd_url = start_etcd(workdir.name)

starts, rss, settled, floor_starts, floor_rss, floor_settled = [], [], [], [], [], []
for run in range(5):
    line = f"run {run}:"
    if floor:
        ms, mb, later = start([floor])
        floor_starts.append(ms)
        floor_rss.append(mb)
        floor_settled.append(later)
        line += f" floor ready after {ms:.0f} ms, idle RSS {mb:.0f} MB ({later:.0f} MB at 7 s);"
    store = ["--etcd-servers", etcd_url, "--etcd-prefix", f"/coldstart-{run}"] if etcd else []
    ms, mb, later = start([binary, "serve", "--insecure-http", "--secure-port", "0", *store, *extra])
    starts.append(ms)
    rss.append(mb)
    settled.append(later)
    print(f"{line} monokube ready after {ms:.0f} ms, idle RSS {mb:.0f} MB ({later:.0f} MB at 7 s)")
if floor:
    print(f"floor median: ready after {statistics.median(floor_starts):.0f} ms, idle RSS {statistics.median(floor_rss):.0f} MB"
          f" ({statistics.median(floor_settled):.0f} MB at 7 s)")
print(f"median: ready after {statistics.median(starts):.0f} ms, idle RSS {statistics.median(rss):.0f} MB ({statistics.median(settled):.0f} MB at 7 s)")
if etcd:
    etcd.terminate()
    etcd.wait()
workdir.cleanup()
