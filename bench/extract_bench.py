"""Issue-time benchmark for wypis i wyrys: p50/p99 over N one-parcel and N ten-parcel extracts (POST
/{t}/extracts, which renders, stores and commits the PDF), and over N quotes of each (GET
/{t}/extracts/quote, which renders the same document in memory). Targets: issue 6, p50 < 150 ms for one
parcel's full document, < 1 s for ten; issue 13, the quote p50 < 50 ms. Usage: python3 bench/extract_bench.py [N]  (ODRA_BIN selects the binary)."""
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from odra_test import Server, demo_data  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
ONE = ["080505_4.0001.2015"]
TEN = ["080505_4.0001.2485", "080505_4.0001.2486", "080505_4.0001.2487", "080505_4.0001.2488",
       "080505_4.0001.2489", "080505_5.0004.199", "080505_5.0004.200", "080505_5.0004.201/3",
       "080505_5.0004.201/4", "080505_5.0004.202"]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def run(srv, parcels):
    body = json.dumps({"parcels": parcels, "applicant": {"name": "Jan Kowalski", "address": "Słubice"},
                       "purpose": "benchmark"}).encode()
    times, pages = [], 0
    for _ in range(N):
        t0 = time.perf_counter()
        st, _, data = srv.request("POST", "/slubice/extracts", body=body,
                                  headers={"Content-Type": "application/json"}, timeout=120)
        times.append((time.perf_counter() - t0) * 1000)
        assert st == 201, data[:300]
        pages = json.loads(data)["pages"]
    return times, pages


def run_quote(srv, parcels):
    times, q = [], None
    path = "/slubice/extracts/quote?parcels=" + ",".join(parcels)
    for _ in range(N):
        t0 = time.perf_counter()
        st, _, data = srv.get(path, timeout=120)
        times.append((time.perf_counter() - t0) * 1000)
        assert st == 200, data[:300]
        q = json.loads(data)
    return times, q["pages"]


def main():
    data = demo_data(copy=True)
    srv = Server(data)
    try:
        run(srv, ONE)  # warm-up: fonts, style, caches
        for name, parcels, target in (("one parcel", ONE, 150), ("ten parcels", TEN, 1000)):
            times, pages = run(srv, parcels)
            p50, p99 = pct(times, 50), pct(times, 99)
            print(f"extract {name:12s} n={N} pages={pages:3d}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
                  f"(target p50 < {target} ms: {'ok' if p50 < target else 'MISSED'})", flush=True)
        for name, parcels in (("one parcel", ONE), ("ten parcels", TEN)):
            times, pages = run_quote(srv, parcels)
            p50, p99 = pct(times, 50), pct(times, 99)
            print(f"quote   {name:12s} n={N} pages={pages:3d}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
                  f"(target p50 < 50 ms: {'ok' if p50 < 50 else 'MISSED'})", flush=True)
    finally:
        srv.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
