#!/usr/bin/env python3
"""Cold start of the native binary to the first 200 on /readyz, and its idle RSS half a second later.

Usage: python3 bench/coldstart.py PATH/TO/monokube [extra serve flags...]   (runs 5 times, prints each and the medians)
"""
import re
import statistics
import subprocess
import sys
import time
import urllib.request

binary = sys.argv[1]
extra = sys.argv[2:]
starts, rss = [], []
for run in range(5):
    began = time.monotonic()
    server = subprocess.Popen([binary, "serve", "--insecure-http", "--secure-port", "0", *extra],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = re.search(r"on (\S+)", server.stdout.readline()).group(1)
    while True:
        try:
            if urllib.request.urlopen(url + "/readyz").status == 200:
                break
        except OSError:
            time.sleep(0.001)
    starts.append((time.monotonic() - began) * 1000)
    time.sleep(0.5)
    with open(f"/proc/{server.pid}/status") as status:
        rss.append(int(next(l for l in status if l.startswith("VmRSS")).split()[1]) / 1024)
    server.terminate()
    server.wait()
    print(f"run {run}: ready after {starts[-1]:.0f} ms, idle RSS {rss[-1]:.0f} MB")
print(f"median: ready after {statistics.median(starts):.0f} ms, idle RSS {statistics.median(rss):.0f} MB")
