#!/usr/bin/env python3
"""make soak: the service (history capacity 10,000) under the simulator's load for SOAK_MINUTES (default 10).

Starts `astraguard serve` on free loopback ports and `astraguard simulate --target` posting at
SOAK_RATE records/s (default 5000) from 200 satellites with random faults. Every SOAK_SAMPLE_S
seconds (default 10) it samples the service's resident memory (/proc/<pid>/status) and, from
/metrics, the requests and non-2xx answers of the interval and the p99 of
POST /api/v1/telemetry over the interval (from the histogram's bucket deltas).
Prints a table, writes build/soak.svg (RSS and p99 over time) and checks, after a warm-up of
the first quarter of the run (at least one sample): RSS at the end within 10% (+8 MiB) of RSS
after warm-up; no non-2xx answer and no client error; every interval's p99 within 3x (+5 ms)
of the median interval p99. Exit 1 when a check fails. SOAK_PLOT: where the plot goes.
"""
import os, re, signal, subprocess, sys, time, urllib.request

build = sys.argv[1] if len(sys.argv) > 1 else "build"
minutes = float(os.environ.get("SOAK_MINUTES", "10"))
rate = os.environ.get("SOAK_RATE", "5000")
sample_s = float(os.environ.get("SOAK_SAMPLE_S", "10"))
binary = os.path.join(build, "astraguard")
duration = minutes * 60

# A history of 10,000 anomalies fills early in the run, so that memory after the warm-up shows
# leaks rather than the bounded history (100,000 by default) still filling up.
env = dict(os.environ, LOG_LEVEL="WARNING", ASTRAGUARD_HISTORY_CAPACITY="10000")
svc = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0", "--metrics-port", "0"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
line = svc.stdout.readline()
m = re.search(r'api_port"?[:=](\d+).*metrics_port"?[:=](\d+)', line)
if not m:
    print("soak: the service did not start:", line, svc.stdout.read(), file=sys.stderr)
    sys.exit(1)
api, mport = m.group(1), m.group(2)
sim = subprocess.Popen([binary, "simulate", "--target", f"http://127.0.0.1:{api}", "--rate", rate,
                        "--duration", str(duration), "--satellites", "200", "--connections", "8",
                        "--faults-per-hour", "2", "--seed", "11"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def rss_mib():
    with open(f"/proc/{svc.pid}/status") as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1]) / 1024.0
    return 0.0


def scrape():
    text = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=10).read().decode()
    total = bad = 0.0
    buckets = {}
    for l in text.splitlines():
        if l.startswith("astra_http_requests_total{"):
            v = float(l.rsplit(" ", 1)[1])
            total += v
            if not re.search(r'status="2\d\d"', l):
                bad += v
        elif l.startswith('astra_http_request_duration_seconds_bucket{') and 'endpoint="/api/v1/telemetry"' in l:
            le = re.search(r'le="([^"]+)"', l).group(1)
            buckets[float("inf") if le == "+Inf" else float(le)] = float(l.rsplit(" ", 1)[1])
    return total, bad, buckets


def p99(prev, cur):
    les = sorted(cur)
    counts = [cur[le] - prev.get(le, 0.0) for le in les]
    n = counts[-1] if counts else 0
    if n <= 0:
        return 0.0
    for le, c in zip(les, counts):
        if c >= 0.99 * n:
            return le * 1000.0
    return les[-1] * 1000.0


samples = []  # (t_s, rss_mib, requests, rps, non2xx, p99_ms)
start = time.time()
prev_total, prev_bad, prev_buckets = scrape()
try:
    while time.time() - start < duration:
        time.sleep(sample_s)
        total, bad, buckets = scrape()
        t = time.time() - start
        samples.append((t, rss_mib(), total - prev_total, (total - prev_total) / sample_s,
                        bad - prev_bad, p99(prev_buckets, buckets)))
        prev_total, prev_bad, prev_buckets = total, bad, buckets
finally:
    sim_out = sim.communicate(timeout=120)[0]
    svc.send_signal(signal.SIGTERM)
    svc.wait(timeout=30)

print(f"soak: {minutes:g} min at {rate} records/s, a sample every {sample_s:g} s")
print(f"{'t_s':>7} {'rss_MiB':>8} {'requests':>9} {'req/s':>8} {'non2xx':>7} {'p99_ms':>7}")
for t, r, n, rps, bad, p in samples:
    print(f"{t:7.0f} {r:8.1f} {n:9.0f} {rps:8.0f} {bad:7.0f} {p:7.2f}")
print(sim_out.strip().splitlines()[-1] if sim_out.strip() else "simulate: no output")

# Plot: RSS (left axis) and p99 (right axis) against time.
W, H, L, R, T, B = 720, 320, 60, 60, 20, 40
tmax = max(s[0] for s in samples) if samples else 1
rmax = max(s[1] for s in samples) * 1.1 if samples else 1
pmax = max(max(s[5] for s in samples) * 1.1, 1) if samples else 1
def xy(t, v, vmax):
    return L + (W - L - R) * t / tmax, T + (H - T - B) * (1 - v / vmax)
def line(idx, vmax, color):
    pts = " ".join("%.1f,%.1f" % xy(s[0], s[idx], vmax) for s in samples)
    return f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{pts}"/>'
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<line x1="{L}" y1="{H-B}" x2="{W-R}" y2="{H-B}" stroke="black"/>',
       f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H-B}" stroke="black"/>',
       f'<line x1="{W-R}" y1="{T}" x2="{W-R}" y2="{H-B}" stroke="black"/>',
       line(1, rmax, "steelblue"), line(5, pmax, "darkorange"),
       f'<text x="{L}" y="{H-10}">0 s</text><text x="{W-R-40}" y="{H-10}">{tmax:.0f} s</text>',
       f'<text x="5" y="{T+10}" fill="steelblue">{rmax:.0f} MiB</text><text x="5" y="{H-B}" fill="steelblue">0</text>',
       f'<text x="{W-R+5}" y="{T+10}" fill="darkorange">{pmax:.1f} ms</text><text x="{W-R+5}" y="{H-B}" fill="darkorange">0</text>',
       f'<text x="{L+10}" y="{T+14}" fill="steelblue">RSS</text><text x="{L+60}" y="{T+14}" fill="darkorange">p99 POST /api/v1/telemetry</text>',
       '</svg>']
plot = os.environ.get("SOAK_PLOT", os.path.join(build, "soak.svg"))
with open(plot, "w") as f:
    f.write("\n".join(svg) + "\n")
print("soak: plot written to", plot)

failures = []
warm = max(1, len(samples) // 4)
if len(samples) < 2:
    failures.append("fewer than 2 samples (run longer)")
else:
    after = samples[warm - 1][1]
    end = samples[-1][1]
    if end > after * 1.10 + 8:
        failures.append(f"RSS grew from {after:.1f} MiB after warm-up to {end:.1f} MiB")
    if any(s[4] for s in samples):
        failures.append(f"{sum(s[4] for s in samples):.0f} non-2xx answers")
    if not re.search(r"4xx=0 5xx=0 errors=0", sim_out):
        failures.append("the simulator saw errors: " + sim_out.strip()[-300:])
    ps = sorted(s[5] for s in samples[warm:])
    med = ps[len(ps) // 2]
    if ps[-1] > 3 * med + 5:
        failures.append(f"p99 unstable: max interval p99 {ps[-1]:.2f} ms, median {med:.2f} ms")
    print(f"soak: RSS after warm-up {after:.1f} MiB, at the end {end:.1f} MiB; "
          f"interval p99 median {med:.2f} ms, max {ps[-1]:.2f} ms")
if failures:
    print("soak: FAILED: " + "; ".join(failures), file=sys.stderr)
    sys.exit(1)
print("soak: passed")
