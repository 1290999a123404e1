"""Verification that cannot be forged: the address on an extract, in its text and in its QR code, comes from the
configured public_url only, whatever Host or X-Forwarded-* header the request carried; `odra extract` prints and
prints on paper the same addresses as the server; a server that issues extracts without a public_url does not
start. /verify/{code}: JSON for API clients, a Polish page for browsers, the PDF by code only where the gmina
allows it. Independent oracles: pdftotext for the printed text, zbarimg (ZBar) decoding the QR code from pages
rendered by pdftoppm, Python's html.parser for the page."""
import hashlib
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import BIN, ROOT, Server, assert_json_error, demo_data, done, test  # noqa: E402

PARCEL = "080505_4.0001.2015"  # Słubice, across three MPZP zones
SERVER_URL = "https://odra.powiat-test.invalid"  # [server] public_url
SLUBICE_URL = "https://gis.slubice-test.invalid/odra"  # Słubice's own, with a path prefix
FORGED = {"Host": "urzad-slubice.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https",
          "Forwarded": "host=evil.example;proto=https", "Content-Type": "application/json"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

TMP = tempfile.mkdtemp(prefix="odra-verify-")
DATA = demo_data(copy=True)


def write_config(name, server_url=SERVER_URL, slubice_url=SLUBICE_URL, extra_tenant_lines=""):
    """odra.ini with the given public_url lines (None leaves a line out), written to TMP/name."""
    with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"^public_url\s*=.*\n", "", text, flags=re.M)
    # Cybinka issues on payment in the demo config; here it issues at once, since these tests are about the
    # addresses on issued documents (the issue modes and "w toku" are test_cases.py's)
    text = re.sub(r"^extract_issue\s*=\s*on_payment\b", "extract_issue = immediate", text, flags=re.M)
    if server_url:
        text = text.replace("[server]\n", f"[server]\npublic_url = {server_url}\n", 1)
    if slubice_url:
        text = text.replace("[tenant slubice]\n", f"[tenant slubice]\npublic_url = {slubice_url}\n", 1)
    if extra_tenant_lines:
        text = re.sub(r"^(\[tenant [a-z-]+\]\n)", r"\1" + extra_tenant_lines, text, flags=re.M)
    path = os.path.join(TMP, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


CONFIG = write_config("odra.ini")
srv = Server(DATA, config=CONFIG)


def local(url):
    """The path on this server of an address under a public_url (a proxy would strip the prefix)."""
    for base in (SLUBICE_URL, SERVER_URL):
        if url.startswith(base + "/"):
            return url[len(base):]
    raise AssertionError(f"{url} is under no configured public_url")


def first_parcel(tenant):
    j = srv.get_json(f"/{tenant}/ogc/collections/parcels/items?limit=1")
    return j["features"][0]["properties"]["parcel_id"]


def issue(tenant, parcel, headers=FORGED):
    body = json.dumps({"parcels": [parcel], "applicant": {"name": "Jan Kowalski", "address": "ul. Długa 1"}})
    st, h, data = srv.request("POST", f"/{tenant}/extracts", body=body.encode(), headers=headers, timeout=60)
    assert st == 201, (st, data[:300])
    return json.loads(data), h


def fetch_pdf(rec):
    st, h, pdf = srv.get(local(rec["links"]["pdf"]), timeout=30)
    assert st == 200 and h["content-type"] == "application/pdf", (st, h)
    path = os.path.join(TMP, rec["id"] + ".pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    return path


def pdf_text(path):
    return subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], check=True, capture_output=True).stdout.decode()


def qr_payloads(path):
    """Every QR code ZBar finds on every page, rendered at 150 dpi."""
    assert shutil.which("zbarimg"), "zbarimg missing: `make deps` installs zbar-tools"
    prefix = os.path.join(TMP, os.path.basename(path) + "-page")
    subprocess.run(["pdftoppm", "-r", "150", "-png", path, prefix], check=True)
    found = []
    for name in sorted(os.listdir(TMP)):
        if name.startswith(os.path.basename(prefix)) and name.endswith(".png"):
            r = subprocess.run(["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", os.path.join(TMP, name)],
                               capture_output=True, text=True)
            found += [line for line in r.stdout.splitlines() if line]
    return found


def check_document(path, base, code):
    want = f"{base}/verify/{code}"
    text = pdf_text(path)
    joined = re.sub(r"\s+", "", text)  # a long address may wrap
    assert want in joined, (want, text[-600:])
    for bad in ("urzad-slubice", "evil.example", "127.0.0.1", "localhost"):
        assert bad not in text, bad
    urls = re.findall(r"https?://\S+", joined)
    assert urls and all(u.startswith(base + "/") for u in urls), urls
    qrs = qr_payloads(path)  # the code is on each sheet that carries it: every one must say the same
    assert qrs and set(qrs) == {want}, qrs


@test
def forged_host_never_reaches_the_document():
    rec, h = issue("slubice", PARCEL)
    code = rec["verification_code"]
    for key in ("self", "pdf", "wyrys_png", "verify"):
        assert rec["links"][key].startswith(SLUBICE_URL + "/"), (key, rec["links"][key])
    assert rec["links"]["verify"] == f"{SLUBICE_URL}/verify/{code}"
    assert h["location"] == rec["links"]["self"], h.get("location")
    assert "evil" not in json.dumps(rec) and "urzad-slubice" not in json.dumps(rec)
    # the record read back with another forged Host says the same
    j = srv.get_json(local(rec["links"]["self"]))
    assert j["links"] == rec["links"]
    st, _, data = srv.get(local(rec["links"]["self"]), headers={"Host": "other.example"})
    assert st == 200 and json.loads(data)["links"] == rec["links"]
    check_document(fetch_pdf(rec), SLUBICE_URL, code)


@test
def a_gmina_without_its_own_address_uses_the_servers():
    rec, _ = issue("cybinka", first_parcel("cybinka"))
    assert rec["links"]["verify"] == f"{SERVER_URL}/verify/{rec['verification_code']}"
    assert rec["links"]["self"] == f"{SERVER_URL}/cybinka/extracts/{rec['id']}"
    check_document(fetch_pdf(rec), SERVER_URL, rec["verification_code"])


@test
def cli_prints_and_prints_on_paper_the_servers_addresses():
    out = os.path.join(TMP, "cli.pdf")
    r = subprocess.run([BIN, "extract", "--config", CONFIG, "--data", DATA, "--tenant", "slubice", "--parcel",
                        PARCEL, "-o", out], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    m = re.search(r"verification code ([A-Z2-7]{24})", r.stdout)
    assert m, r.stdout
    code = m.group(1)
    printed = dict(re.findall(r"^(verify|record|pdf): +(\S+)$", r.stdout, flags=re.M))
    assert printed.get("verify") == f"{SLUBICE_URL}/verify/{code}", r.stdout
    check_document(out, SLUBICE_URL, code)
    # the server's record of the same extract carries the same links
    rec = srv.get_json(local(printed["record"]))
    assert rec["verification_code"] == code
    assert rec["links"]["self"] == printed["record"] and rec["links"]["pdf"] == printed["pdf"], (rec["links"], printed)
    assert rec["links"]["verify"] == printed["verify"]
    with open(out, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == rec["sha256"]


@test
def no_public_url_no_start():
    cfg = write_config("no-url.ini", server_url=None, slubice_url=None)
    r = subprocess.run([BIN, "serve", "--config", cfg, "--data", DATA, "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "public_url" in lines[0] and "extracts" in lines[0], r.stderr
    # the command line refuses as well rather than print an address no phone can open
    r = subprocess.run([BIN, "extract", "--config", cfg, "--data", DATA, "--tenant", "slubice", "--parcel", PARCEL,
                        "-o", os.path.join(TMP, "never.pdf")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "public_url" in r.stderr, (r.returncode, r.stderr)
    assert not os.path.exists(os.path.join(TMP, "never.pdf"))
    # only Słubice has an address: the other gminas must not issue extracts, then the server starts
    cfg = write_config("slubice-only.ini", server_url=None, extra_tenant_lines="extracts = no\n")
    with open(cfg, encoding="utf-8") as f:
        text = f.read().replace("[tenant slubice]\nextracts = no\n", "[tenant slubice]\n", 1)
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(text)
    other = Server(DATA, config=cfg)
    try:
        body = json.dumps({"parcels": [PARCEL], "applicant": {"name": "Jan"}}).encode()
        headers = {"Content-Type": "application/json"}
        assert_json_error(*other.request("POST", "/cybinka/extracts", body=body, headers=headers), 404)
        st, _, data = other.request("POST", "/slubice/extracts", body=body, headers=headers, timeout=60)
        assert st == 201 and json.loads(data)["links"]["verify"].startswith(SLUBICE_URL + "/verify/"), data[:300]
    finally:
        other.stop()


class Page(html.parser.HTMLParser):
    """The text of a page, its links, and the text of each <dd> after its <dt>."""

    def __init__(self, body):
        super().__init__()
        self.text, self.links, self.fields, self._dt, self._in = [], [], {}, None, None
        self.feed(body)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs).get("href"))
        if tag in ("dt", "dd"):
            self._in = tag
            if tag == "dt":
                self._dt = ""
            else:
                self.fields[self._dt] = ""

    def handle_endtag(self, tag):
        if tag in ("dt", "dd"):
            self._in = None

    def handle_data(self, data):
        self.text.append(data)
        if self._in == "dt":
            self._dt += data
        elif self._in == "dd":
            self.fields[self._dt] += data


def page(path, accept=BROWSER, expect=200):
    st, h, body = srv.get(path, headers={"Accept": accept})
    assert st == expect, (path, st, body[:300])
    assert h["content-type"].startswith("text/html"), h
    assert "Accept" in h.get("vary", ""), h
    return Page(body.decode())


@test
def verify_page_for_browsers():
    rec, _ = issue("slubice", PARCEL, headers={"Content-Type": "application/json"})
    code = rec["verification_code"]
    p = page(f"/verify/{code}")
    text = " ".join(" ".join(p.text).split())
    assert "Dokument wydany" in text and "Nie znaleziono" not in text, text
    assert p.fields["Gmina"] == "Słubice" and p.fields["Znak sprawy"] == rec["case_number"], p.fields
    y, m, d = rec["date"].split("-")
    months = ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
              "października", "listopada", "grudnia"]
    assert p.fields["Data wydania"] == f"{int(d)} {months[int(m) - 1]} {y} r.", p.fields
    assert PARCEL in p.fields["Działki"], p.fields
    assert p.fields["Skrót dokumentu (SHA-256)"] == rec["sha256"], p.fields
    assert "Kowalski" not in text and "Długa" not in text, "no personal data on the page"
    # Słubice allows the download: the link serves exactly the issued bytes
    pdf_links = [u for u in p.links if u and u.endswith("/pdf")]
    assert pdf_links == [f"{SLUBICE_URL}/verify/{code}/pdf"], p.links
    st, h, pdf = srv.get(local(pdf_links[0]))
    assert st == 200 and h["content-type"] == "application/pdf", (st, h)
    assert hashlib.sha256(pdf).hexdigest() == rec["sha256"]
    assert h["content-disposition"].startswith("attachment;"), h
    # the same page for the code as printed, in groups and lower case
    grouped = "-".join(code[i:i + 4] for i in range(0, 24, 4)).lower()
    assert page(f"/verify/{grouped}").fields["Znak sprawy"] == rec["case_number"]


@test
def verify_page_without_download_where_the_gmina_does_not_allow_it():
    rec, _ = issue("cybinka", first_parcel("cybinka"), headers={"Content-Type": "application/json"})
    code = rec["verification_code"]
    p = page(f"/verify/{code}")
    assert "Dokument wydany" in " ".join(p.text) and p.fields["Gmina"] == "Cybinka"
    assert not [u for u in p.links if u and "pdf" in u], p.links
    assert_json_error(*srv.get(f"/verify/{code}/pdf"), 404)
    v = srv.get_json(f"/verify/{code}")
    assert "pdf" not in v["links"] and v["links"]["self"] == f"{SERVER_URL}/verify/{code}", v


@test
def verify_page_not_found_and_escaped():
    p = page("/verify/" + "A" * 24, expect=404)
    text = " ".join(" ".join(p.text).split())
    assert "Nie znaleziono dokumentu" in text and "Dokument wydany" not in text, text
    assert_json_error(*srv.get("/verify/" + "A" * 24 + "/pdf"), 404)
    # what the visitor typed comes back as text, never as markup
    st, h, body = srv.get("/verify/" + urllib.parse.quote('"><img src=x onerror=alert(1)>'),
                          headers={"Accept": BROWSER})
    assert st == 400 and h["content-type"].startswith("text/html"), (st, h)
    assert b"<img" not in body and b"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in body, body[-600:]
    assert "Nie znaleziono dokumentu" in " ".join(Page(body.decode()).text)


@test
def verify_json_for_api_clients():
    rec, _ = issue("slubice", PARCEL, headers={"Content-Type": "application/json"})
    code = rec["verification_code"]
    for accept in (None, "application/json", "*/*", "application/json, text/html;q=0.5"):
        st, h, body = srv.get(f"/verify/{code}", headers={"Accept": accept} if accept else {})
        assert st == 200 and h["content-type"].startswith("application/json"), (accept, st, h)
        v = json.loads(body)
        assert v["valid"] and v["case_number"] == rec["case_number"] and v["pdf"]["hash"] == rec["sha256"]
        assert v["links"] == {"self": f"{SLUBICE_URL}/verify/{code}", "pdf": f"{SLUBICE_URL}/verify/{code}/pdf"}
    assert page(f"/verify/{code}?f=html", accept="application/json").fields["Znak sprawy"] == rec["case_number"]
    st, h, _ = srv.get(f"/verify/{code}?f=json", headers={"Accept": BROWSER})
    assert st == 200 and h["content-type"].startswith("application/json")
    assert_json_error(*srv.get("/verify/" + "A" * 24, headers={"Accept": "application/json"}), 404)
    assert_json_error(*srv.get("/verify/NOTACODE"), 400)


srv.stop()
shutil.rmtree(DATA, ignore_errors=True)
shutil.rmtree(TMP, ignore_errors=True)
done()
