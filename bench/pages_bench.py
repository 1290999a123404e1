#!/usr/bin/env python3
"""Bench: the speed and weight of every page (issue 17: every page under 50 ms p50 at 8 connections on the
demo data; a page's critical resources under 300 KB compressed, the map page excepted). Prints only; nothing
is asserted.

usage: bench/pages_bench.py [BUILD_DIR] [--seconds N] [--only REGEX]
(uses BUILD_DIR/odra, default build; N seconds per page, default 3; REGEX: only the pages whose route matches)

The pages are found as the tests find them: crawled from the entry page / by links and GET forms (the
search with a parcel number), signed out and then signed in as a resident who has ordered an extract and
filed a waste declaration (Słubice), then signed in as a clerk and planner of Rzepin, where extracts are
issued by a clerk and a resident's order waits in the queue (the clerks' queue, a case page, payments,
statement import, APP import; the planners' map page, plans, a plan page, QGIS page and print form); one
address per route and query shape. Each is then loaded by wrk for N seconds at 8 connections (2 threads),
with the session cookie for the signed-in ones; its p50 and p99 are printed with the server's CPU time per
request (utime + stime of the server process over the run, from /proc, divided by the requests wrk
completed) and the load average. The weight is the page's HTML plus every stylesheet and script it loads, each as the
server sends it with Accept-Encoding: gzip (gzip -6 of the body where the server sends it plain, as a
compressing front would)."""
import gzip
import html
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
args = [a for i, a in enumerate(sys.argv[1:]) if not a.startswith("--") and not sys.argv[i].startswith("--")]
BUILD = args[0] if args else "build"
SECONDS = int(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 3
ONLY = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None  # a regex of the pages timed
os.environ.setdefault("ODRA_BIN", os.path.join(ROOT, BUILD, "odra"))
os.environ["ODRA_WEB_ROOT"] = ROOT

import odra_test  # noqa: E402
from pages_lib import Browser, Page  # noqa: E402

odra_test.BIN = os.environ["ODRA_BIN"]
T, T2, PW = "slubice", "rzepin", "bench-haslo-0123456789"
data = odra_test.demo_data(copy=True)
cfg = odra_test.fast_auth_config(tempfile.mkdtemp(prefix="odra-pages-bench-"))
odra_test.Cli(cfg, data).user("ania", PW)
odra_test.Cli(cfg, data).user("rafal", PW, "--tenant", T2, "--role", "clerk,planner")
srv = odra_test.Server(data, config=cfg)


def shape(path):
    """The route and query shape of a path: one page per shape is timed."""
    u = urllib.parse.urlsplit(path)
    p = re.sub(r"/[0-9a-f]{32}\b", "/{id}", u.path)
    p = re.sub(r"/plans/\d+$", "/plans/{n}", p)
    p = re.sub(r"^/verify/[^/]+", "/verify/{code}", p)
    keys = sorted(k for k, _ in urllib.parse.parse_qsl(u.query, keep_blank_values=True) if k != "lang")
    return p + ("?" + "&".join(keys) if keys else "")


def crawl(b, tenant=T, start=("/",)):
    seen, queue, pages = set(), list(start), {}
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        s, h, body = b.get(path, follow=False)
        if s in (301, 302, 303) and h.get("location", "").startswith("/"):
            queue.append(h["location"].split("#")[0])  # the page it sends to is timed, not the redirect
            continue
        if s != 200 or not h.get("content-type", "").startswith("text/html"):
            continue
        pages.setdefault(shape(path), path)
        p = Page(body.decode())
        targets = list(p.links)
        for f in p.forms:
            if f["method"] == "get" and f["action"]:
                fields = dict(f["fields"])
                if "q" in fields and not fields["q"]:
                    fields["q"] = "2287"
                targets.append(f["action"] + "?" + urllib.parse.urlencode(fields))
        for link in targets:
            u = urllib.parse.urlsplit(urllib.parse.urljoin(path, link))
            if u.netloc or u.scheme or "lang=" in u.query or "format=ics" in u.query:
                continue
            seg = u.path.split("/")[1] if u.path.count("/") else ""
            if seg not in ("", tenant, "verify") or re.search(r"\.(pdf|ics|json|png)$", u.path):
                continue
            if u.path.startswith(("/api", "/auth/", "/assets/", "/health", "/favicon")) or u.path.endswith("/signout"):
                continue
            if re.match(r"^/[^/]+/print$", u.path):  # the print form's GET target: a PDF, not a page
                continue
            queue.append(u.path + ("?" + u.query if u.query else ""))
    return pages


def cpu_ticks():
    """utime + stime of the server process, in clock ticks."""
    with open(f"/proc/{srv.proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wrk(path, cookie):
    """p50 and p99 in ms, requests per second and CPU ms per request of path at 8 connections."""
    cmd = ["wrk", "-t2", "-c8", f"-d{SECONDS}s", "--latency", "-H", "Accept: text/html"]
    if cookie:
        cmd += ["-H", "Cookie: " + cookie]
    t0 = cpu_ticks()
    out = subprocess.run(cmd + [f"http://127.0.0.1:{srv.port}{path}"], capture_output=True, text=True).stdout
    ticks = cpu_ticks() - t0

    def pct(n):
        m = re.search(rf"^\s+{n}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else None

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    n = int(total.group(1)) if total else 0
    cpu = ticks * 1000.0 / os.sysconf("SC_CLK_TCK") / n if n else float("nan")
    note = f"{non2xx.group(1)} non-2xx" if non2xx else ("" if n else out.strip()[-200:])
    return pct(50), pct(99), float(rps.group(1)) if rps else 0, cpu, note


def sent_size(path, cookie):
    """Bytes the server sends for path with gzip accepted (gzip -6 of a plain body)."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    h = {"Accept-Encoding": "gzip", "Accept": "text/html"}
    if cookie:
        h["Cookie"] = cookie
    c.request("GET", path, headers=h)
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.getheader("Content-Encoding") == "gzip":
        return len(body), gzip.decompress(body)
    return len(gzip.compress(body, 6)), body


def weight(path, cookie):
    size, body = sent_size(path, cookie)
    text = body.decode("utf-8", "replace")
    subs = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', text)
    subs += re.findall(r'<script[^>]+src="([^"]+)"', text)
    for s in dict.fromkeys(html.unescape(x) for x in subs):
        if s.startswith("/"):
            size += sent_size(s, None)[0]
    return size


out = Browser(srv.port)
pages = [(k, p, None) for k, p in crawl(out).items()]
b = Browser(srv.port)
b.login(T, "ania", PW)
# a signed-in resident with an extract and a waste declaration, so that my matters, a case and its messages,
# the correction and the order status are among the pages
pid = srv.get_json(f"/{T}/search?q=2287")["features"][0]["id"]
q = Page(b.get(f"/{T}/order/quote?step=2&wypis=1&parcels={pid}")[2].decode())
b.submit(next(f for f in q.forms if f["action"] == f"/{T}/order"), name="Anna Nowak")
addr = srv.get_json(f"/{T}/geocode?q=Graniczna&limit=1")["features"][0]["properties"]["label"]
d = Page(b.get(f"/{T}/declaration")[2].decode())
b.submit(next(f for f in d.forms if f["action"] == f"/{T}/declaration"), name="Anna Nowak", pesel="44051401359",
         address=addr, residents="3")
cookie = "; ".join(f"{k}={v}" for k, v in b.cookies.items())
known = {k for k, _, _ in pages}
pages += [(k, p, cookie) for k, p in crawl(b).items() if k not in known or k.startswith(f"/{T}/my")]
# the staff: a resident's order in Rzepin (extracts issued by a clerk) waits in the queue; a clerk who is also
# a planner crawls from the entry page and from the queue (the clerks' and planners' pages are linked from
# the header and from each other)
r = Browser(srv.port)
r.login(T2, "ania", PW)
pid2 = srv.get_json(f"/{T2}/ogc/collections/parcels/items?limit=1")["features"][0]["properties"]["parcel_id"]
q = Page(r.get(f"/{T2}/order/quote?step=2&wypis=1&wyrys=1&parcels={urllib.parse.quote(pid2)}")[2].decode())
r.submit(next(f for f in q.forms if f["action"] == f"/{T2}/order"), name="Anna Nowak", address="ul. Długa 1, 69-110 Rzepin")
staff = Browser(srv.port)
staff.login(T2, "rafal", PW)
staff_cookie = "; ".join(f"{k}={v}" for k, v in staff.cookies.items())
staff_pages = crawl(staff, T2, ("/", f"/{T2}/clerk", f"/{T2}/planner"))
pages += [(k, p, staff_cookie) for k, p in staff_pages.items() if k.startswith((f"/{T2}/clerk", f"/{T2}/planner"))]

if ONLY:
    pages = [p for p in pages if re.search(ONLY, p[0])]
print(f"load average at start: {open('/proc/loadavg').read().split()[:3]}")
print(f"{'page':58} {'p50_ms':>8} {'p99_ms':>8} {'req/s':>7} {'cpu_ms':>7} {'critical_kb_gz':>14}")
worst, heaviest = 0.0, 0
for key, path, ck in pages:
    p50, p99, rps, cpu, note = wrk(path, ck)
    is_map = path.endswith(("/map", "/planner"))
    kb = "(map)" if is_map else f"{weight(path, ck) / 1024:.1f}"
    if not is_map:
        heaviest = max(heaviest, weight(path, ck))
    label = key + (" [staff]" if ck == staff_cookie else " [signed in]" if ck else "")
    nan = float("nan")
    print(f"{label[:58]:58} {p50 if p50 is not None else nan:8.2f} {p99 if p99 is not None else nan:8.2f} "
          f"{rps:7.0f} {cpu:7.2f} {kb:>14} {note}", flush=True)
    worst = max(worst, p50 or 0)
print(f"pages_timed {len(pages)}")
print(f"pages_worst_p50_ms {worst:.2f} (target < 50)")
print(f"pages_heaviest_critical_kb_gz {heaviest / 1024:.1f} (target < 300, the map pages excepted)")
print(f"load average at end: {open('/proc/loadavg').read().split()[:3]}")
srv.stop()
