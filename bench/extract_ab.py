"""Two odra binaries side by side on the one-page wyrys (the page bench/qgis_compare.py holds against QGIS):
whether a build got slower. Each binary makes its own demo stores (a build refuses a store of newer
migrations) and serves them; then, in alternating blocks so that background noise hits both alike, ROUNDS
rounds of N sequential POST /slubice/extracts (documents ["wyrys"], stored and committed), and the end-to-end
throughput at 1 and 2 connections (the POST, then the GET of the PDF). Prints the median of the rounds' p50s.
Usage: python3 bench/extract_ab.py OLD_BIN NEW_BIN [N] [ROUNDS]  (each BIN next to its tree's odra.ini: BIN/../../odra.ini)"""
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

PARCEL = "080505_5.0004.200"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(binary, work):
    data = os.path.join(work, "data")
    subprocess.run([binary, "demo", "--data", data], check=True, capture_output=True)
    ini = os.path.abspath(os.path.join(os.path.dirname(binary), "..", "odra.ini"))
    port = free_port()
    log = open(os.path.join(work, "serve.log"), "w")
    proc = subprocess.Popen([binary, "serve", "--config", ini, "--data", data, "--listen", f"127.0.0.1:{port}"],
                            stdout=log, stderr=log)
    for _ in range(200):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{binary} does not answer")


def issue(conn, fetch=False):
    body = json.dumps({"parcels": [PARCEL], "applicant": {"name": "Jan Kowalski", "address": "Słubice"},
                       "purpose": "benchmark", "documents": ["wyrys"]}).encode()
    conn.request("POST", "/slubice/extracts", body=body, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status != 201:
        raise SystemExit(f"extract failed: {r.status} {data[:300]!r}")
    if fetch:
        conn.request("GET", urllib.parse.urlparse(json.loads(data)["links"]["pdf"]).path)
        r = conn.getresponse()
        if r.status != 200 or not r.read().startswith(b"%PDF"):
            raise SystemExit("PDF GET failed")


def p50_of(port, n):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    issue(c)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        issue(c)
        times.append((time.perf_counter() - t0) * 1000)
    c.close()
    return statistics.median(times)


def rps_of(port, conns, secs):
    count, stop = [0], time.perf_counter() + secs
    lock = threading.Lock()

    def worker():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        issue(c, True)
        k = 0
        while time.perf_counter() < stop:
            issue(c, True)
            k += 1
        with lock:
            count[0] += k

    th = [threading.Thread(target=worker) for _ in range(conns)]
    t0 = time.perf_counter()
    for t in th:
        t.start()
    for t in th:
        t.join()
    return count[0] / (time.perf_counter() - t0)


def main():
    old, new = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    work = tempfile.mkdtemp(prefix="odra-ab-")
    procs = []
    try:
        ports = {}
        for name, binary in (("old", old), ("new", new)):
            os.makedirs(os.path.join(work, name))
            proc, ports[name] = start(binary, os.path.join(work, name))
            procs.append(proc)
        res = {k: {"p50": [], "rps1": [], "rps2": []} for k in ports}
        for r in range(rounds):
            order = ("old", "new") if r % 2 == 0 else ("new", "old")
            for who in order:
                res[who]["p50"].append(p50_of(ports[who], n))
            for conns in (1, 2):
                for who in order:
                    res[who][f"rps{conns}"].append(rps_of(ports[who], conns, 2.0))
        for who, binary in (("old", old), ("new", new)):
            m = {k: statistics.median(v) for k, v in res[who].items()}
            print(f"wyrys_ab {who:3s} p50 {m['p50']:6.1f} ms  e2e 1 conn {m['rps1']:6.1f} req/s  e2e 2 conn "
                  f"{m['rps2']:6.1f} req/s  (median of {rounds} rounds; {binary})", flush=True)
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
