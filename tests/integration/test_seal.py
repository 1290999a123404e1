"""The office's electronic seal (issue 16) on the real server, checked by independent tools: poppler's pdfsig
(the signature valid, the whole document signed; one flipped byte inside the signed range and it is not),
qpdf --check, pdftotext (the seal's text on the last page), and openssl (the CMS structure: the
signing-certificate-v2 attribute, no signing-time, and with a TSA the timestamp token).

An extract in Słubice (issued at once) and one through the whole flow in Cybinka (issued once a clerk
books the fee) are sealed; every request gets a sealed receipt at once, whose SHA-256 is that of the
request as the case stores it; /verify reports the seal; a gmina without a seal still issues and says so
(on the document and in /health), and in an on_payment gmina the settled fee then waits for the seal.
PAdES-B-T runs against a real local timestamp authority: `openssl ts -reply` behind a small HTTP server."""
import hashlib
import http.server
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import odra_test as T  # noqa: E402
from odra_test import done, test  # noqa: E402

TMP = tempfile.mkdtemp(prefix="odra-seal-")
DATA = T.demo_data(copy=True)
subprocess.run([T.BIN, "demo", "--data", DATA], check=True, capture_output=True)  # the TEST seals
FAST_AUTH = "\n[auth]\nopslimit = 1\nmemlimit = 8388608\nlogin_per_ip = 10000\nlogin_per_account = 10000\n"
with open(os.path.join(T.ROOT, "odra.ini"), encoding="utf-8") as f:
    BASE_INI = f.read()


def write_ini(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + FAST_AUTH)
    return path


def tenant_set(text, slug, key, value):
    """The config text with key of [tenant slug] set to value (replaced, or added after name)."""
    sec = re.search(rf"^\[tenant {re.escape(slug)}\]\n(?:(?!\[).*\n)*", text, flags=re.M)
    body = sec.group(0)
    if re.search(rf"^{key}\s*=", body, flags=re.M):
        body2 = re.sub(rf"^{key}\s*=.*$", f"{key} = {value}", body, count=1, flags=re.M)
    else:
        body2 = body.replace("\nname =", f"\n{key} = {value}\nname =", 1)
    return text[:sec.start()] + body2 + text[sec.end():]


srv = T.Server(DATA, config=write_ini("odra.ini", BASE_INI))
S = {}


def run(*args, input=None):
    return subprocess.run(list(args), capture_output=True, text=True, input=input)


def save(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def local(url):
    return re.sub(r"^https?://[^/]+", "", url)


def pdfsig(path):
    return run("pdfsig", path).stdout


def assert_sealed(path, organ):
    out = pdfsig(path)
    assert "Signature is Valid" in out and "Total document signed" in out, out
    assert "ETSI.CAdES.detached" in out and "TEST" in out and organ in out, out
    assert out.count("Signature #") == 1, out
    q = run("qpdf", "--check", path)
    assert q.returncode == 0 and "No syntax or stream encoding errors" in q.stdout, q.stdout + q.stderr
    # one byte flipped inside the first signed range: poppler no longer calls it valid
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[len(data) // 3] ^= 0x01
    bad = save(os.path.basename(path) + ".flipped.pdf", bytes(data))
    out = pdfsig(bad)
    # poppler 22.12 words a changed signed range "Digest Mismatch" (later versions: "modified")
    assert "Signature is Valid" not in out and ("Digest Mismatch" in out or "modified" in out.lower()), out


def cms_of(path):
    """The CMS SignedData of the last signature, as `openssl cms -cmsout -print` shows it."""
    with open(path, "rb") as f:
        data = f.read()
    m = list(re.finditer(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]", data))[-1]
    a, b, c, d = map(int, m.groups())
    der = bytes.fromhex(data[b + 1:c - 1].decode()).rstrip(b"\0")
    p = save(os.path.basename(path) + ".p7s", der)
    r = run("openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", p)
    assert r.returncode == 0, r.stderr
    return r.stdout


def timestamp_verifies(path):
    """openssl's own check of the timestamp token in the last signature: it is a token of the local TSA over
    the SHA-256 of the signature value (ETSI EN 319 122 signature-time-stamp)."""
    cms_of(path)
    p7s = os.path.join(TMP, os.path.basename(path) + ".p7s")
    with open(p7s, "rb") as f:
        der = f.read()
    lines = run("openssl", "asn1parse", "-inform", "DER", "-in", p7s).stdout.splitlines()
    ents = []
    for ln in lines:
        m = re.match(r"\s*(\d+):d=\s*(\d+)\s+hl=\s*(\d+) l=\s*(\d+) (?:prim|cons): (.*)$", ln)
        if m:
            ents.append((int(m.group(1)), int(m.group(3)), int(m.group(4)), m.group(5)))
    i = [k for k, e in enumerate(ents) if "timeStampToken" in e[3]][0]
    off, hl, ln_, _ = ents[i + 2]  # the SET's SEQUENCE: the token (a ContentInfo)
    tok = save(os.path.basename(path) + ".tst", der[off:off + hl + ln_])
    j = [k for k, e in enumerate(ents) if "cont [ 1 ]" in e[3]][-1]
    sig_hex = ents[j - 1][3].split("[HEX DUMP]:")[1].strip()
    digest = hashlib.sha256(bytes.fromhex(sig_hex)).hexdigest()
    r = run("openssl", "ts", "-verify", "-digest", digest, "-in", tok, "-token_in", "-CAfile",
            os.path.join(TMP, "tsa.crt"))
    return "Verification: OK" in r.stdout, r.stdout + r.stderr


def first_parcel(tenant):
    db = sqlite3.connect(f"file:{os.path.join(DATA, tenant + '.sqlite')}?mode=ro", uri=True)
    pid = db.execute("SELECT parcel_id FROM parcels ORDER BY parcel_id LIMIT 1 OFFSET 50").fetchone()[0]
    db.close()
    return pid


def post_extract(server, tenant, name="Jan Kowalski"):
    body = json.dumps({"parcels": [first_parcel(tenant)], "applicant": {"name": name, "address": "ul. Długa 1", "email": "jan@example.pl"},
                       "purpose": "budowa"}).encode()
    st, _, data = server.request("POST", f"/{tenant}/extracts", body=body,
                                 headers={"Content-Type": "application/json"}, timeout=60)
    assert st == 201, (st, data[:400])
    return json.loads(data)


def db_row(tenant, sql, *args):
    db = sqlite3.connect(f"file:{os.path.join(DATA, tenant + '.sqlite')}?mode=ro", uri=True)
    row = db.execute(sql, args).fetchone()
    db.close()
    return row


CLERK, CLERK_PW = "urzednik-seal", "urzednik-haslo-01"


def clerk_login(server):
    """A Cybinka clerk (made once with the CLI) logged in: the session cookie and the CSRF token."""
    if not S.get("clerk"):
        r = run(T.BIN, "user", "add", "--data", DATA, "--config", os.path.join(TMP, "odra.ini"), "--tenant",
                "cybinka", "--role", "clerk", CLERK, input=CLERK_PW + "\n")
        assert r.returncode == 0, r.stderr
        S["clerk"] = True
    st, h, data = server.request("POST", "/auth/login",
                                 body=json.dumps({"login": CLERK, "password": CLERK_PW}).encode(),
                                 headers={"Content-Type": "application/json"})
    assert st == 200, data
    return h["set-cookie"].split(";")[0], json.loads(data)["csrf_token"]


@test
def health_names_each_gminas_seal():
    h = srv.get_json("/health")
    seals = {t["slug"]: t["seal"] for t in h["tenants"]}
    for slug, s in seals.items():
        assert s["available"] and "TEST" in s["subject"] and s["key"] == "P-256" and s["level"] == "PAdES-B-B", (slug, s)


@test
def an_extract_issued_at_once_in_slubice_is_sealed():
    rec = post_extract(srv, "slubice")
    S["slubice"] = rec
    st, _, pdf = srv.get(local(rec["links"]["pdf"]), timeout=30)
    assert st == 200 and hashlib.sha256(pdf).hexdigest() == rec["sha256"], st
    path = save("slubice.pdf", pdf)
    assert_sealed(path, "Burmistrz Słubic")
    text = run("pdftotext", "-layout", path, "-").stdout
    last = text.split("\f")[-2] if text.count("\f") >= 1 else text
    assert "Pieczęć elektroniczna" in last and "Burmistrz Słubic" in last, last[-800:]
    cms = cms_of(path)
    assert "id-smime-aa-signingCertificateV2" in cms and "messageDigest" in cms and "contentType" in cms, cms[:2000]
    assert "signingTime" not in cms, "PAdES keeps the signing time in /M, not in the signed attributes"
    assert "timeStampToken" not in cms, "the demo has no TSA: B-B"


@test
def verify_reports_the_seal_and_the_stored_hash():
    rec = S["slubice"]
    v = srv.get_json(f"/verify/{rec['verification_code']}")
    assert v["valid"] is True and v["pdf"]["hash_matches"] is True, v
    s = v["seal"]
    assert s["present"] and s["valid"] and s["whole_file"] and s["own_seal"], s
    assert "TEST" in s["signer"] and "Burmistrz Słubic" in s["signer"] and s["level"] == "PAdES-B-B", s
    st, _, html = srv.request("GET", f"/verify/{rec['verification_code']}", headers={"Accept": "text/html"})
    html = html.decode()
    assert st == 200 and "Pieczęć elektroniczna" in html and "ważna" in html, html[-1500:]


@test
def the_receipt_is_sealed_and_hashes_the_request_as_stored():
    rec = S["slubice"]
    st, h, pdf = srv.get(local(rec["links"]["receipt"]), timeout=30)
    assert st == 200 and h["content-type"] == "application/pdf" and h["cache-control"] == "private, no-store", (st, h)
    path = save("receipt-slubice.pdf", pdf)
    assert_sealed(path, "Burmistrz Słubic")
    text = run("pdftotext", path, "-").stdout
    sub = db_row("slubice", "SELECT submission_sha256, sealed FROM case_receipts WHERE case_id = ?", rec["id"])
    assert sub and sub[1] == 1 and sub[0] in text, (sub, text)
    for s in ("Potwierdzenie złożenia wniosku", rec["case_number"], "Jan Kowalski", "Burmistrz Słubic",
              "Pieczęć elektroniczna"):
        assert s in text, (s, text)
    # an unknown or malformed case id is a 404 like any other secret
    st, _, _ = srv.get("/slubice/extracts/" + "0" * 32 + "/receipt.pdf")
    assert st == 404, st
    st, _, _ = srv.get("/slubice/extracts/nothex/receipt.pdf")
    assert st == 404, st


@test
def the_pdfa_2b_items_are_there():
    """What can be checked here without veraPDF: the output intent with the sRGB profile, the XMP
    identification (part 2, conformance B) mirroring the information dictionary, a file identifier, every
    font embedded; qpdf --check passed above."""
    for name in ("slubice.pdf", "receipt-slubice.pdf"):
        path = os.path.join(TMP, name)
        with open(path, "rb") as f:
            data = f.read()
        assert b"/S /GTS_PDFA1" in data and b"/DestOutputProfile" in data, name
        assert b"<pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>" in data, name
        assert re.search(rb"/ID \[<[0-9a-f]{32}> <[0-9a-f]{32}>\]", data), name
        assert b"<dc:creator><rdf:Seq><rdf:li>Burmistrz S\xc5\x82ubic</rdf:li>" in data, name
        # the signature's place is sized to the seal's signatures (a trial at start), not a fixed 8 KiB
        contents = re.search(rb"/Contents <([0-9a-f]+)>", data).group(1)
        used = len(contents.rstrip(b"0")) // 2 + 1
        assert used <= len(contents) // 2 <= used + 1024, (name, used, len(contents) // 2)
        icc = int(re.search(rb"/DestOutputProfile (\d+) 0 R", data).group(1))
        got = subprocess.run(["qpdf", f"--show-object={icc}", "--filtered-stream-data", path], capture_output=True)
        with open("/usr/share/color/icc/sRGB.icc", "rb") as f:
            assert got.returncode == 0 and got.stdout == f.read(), "the sRGB profile, decoded, is the profile"
        fonts = run("pdffonts", path).stdout.splitlines()[2:]
        assert fonts and all(ln.split()[-5:-3] == ["yes", "yes"] for ln in fonts), fonts
        info = run("pdfinfo", path).stdout
        assert "Metadata Stream: yes" in info and "Form:            AcroForm" in info, info


@test
def cybinka_whole_flow_receipt_at_once_then_sealed_when_the_fee_is_booked():
    rec = post_extract(srv, "cybinka", name="Zofia Wiśniewska")
    assert rec["status"] == "pending", rec
    st, _, pdf = srv.get(local(rec["links"]["receipt"]), timeout=30)
    assert st == 200, st
    path = save("receipt-cybinka.pdf", pdf)
    assert_sealed(path, "Burmistrz Cybinki")
    request, = db_row("cybinka", "SELECT request FROM cases WHERE id = ?", rec["id"])
    want = hashlib.sha256(request.encode()).hexdigest()
    assert want in run("pdftotext", path, "-").stdout, "the receipt's hash is that of the stored request"
    # the clerk's copy; nobody else's without the secret
    cookie, csrf = clerk_login(srv)
    st, _, staff_pdf = srv.request("GET", f"/cybinka/cases/{rec['id']}/receipt.pdf", headers={"Cookie": cookie})
    assert st == 200 and staff_pdf == pdf, st
    assert rec["case"]["links"]["receipt"] == rec["links"]["receipt"], rec["case"]["links"]
    st, _, _ = srv.get(f"/cybinka/cases/{rec['id']}/receipt.pdf")
    assert st in (401, 403), st
    st, _, data = srv.request("POST", f"/cybinka/cases/{rec['id']}/fee",
                              body=json.dumps({"status": "paid"}).encode(),
                              headers={"Content-Type": "application/json", "X-CSRF-Token": csrf, "Cookie": cookie})
    assert st == 200 and json.loads(data)["status"] == "załatwiony", (st, data[:400])
    st, _, doc = srv.get(f"/cybinka/extracts/{rec['id']}.pdf", timeout=30)
    assert st == 200, st
    assert_sealed(save("cybinka.pdf", doc), "Burmistrz Cybinki")
    v = srv.get_json(f"/verify/{rec['verification_code']}")
    assert v["valid"] and v["seal"]["valid"] and "Cybinki" in v["seal"]["signer"], v


@test
def odra_extract_on_the_command_line_seals_too():
    srv.stop()
    out = os.path.join(TMP, "cli.pdf")
    r = run(T.BIN, "extract", "--data", DATA, "--config", os.path.join(TMP, "odra.ini"), "--tenant", "slubice",
            "--parcel", first_parcel("slubice"), "-o", out)
    assert r.returncode == 0, r.stderr
    assert_sealed(out, "Burmistrz Słubic")
    cid = re.search(r" ([0-9a-f]{32}) ", r.stdout).group(1)
    assert db_row("slubice", "SELECT sealed FROM case_receipts WHERE case_id = ?", cid) == (1,)


@test
def without_a_seal_documents_say_so_and_on_payment_waits():
    text = tenant_set(tenant_set(BASE_INI, "slubice", "seal", ""), "cybinka", "seal", "")
    s2 = T.Server(DATA, config=write_ini("noseal.ini", text))
    try:
        h = s2.get_json("/health")
        seal = {t["slug"]: t["seal"] for t in h["tenants"]}
        assert not seal["slubice"]["available"] and "without a seal" in seal["slubice"]["reason"], seal
        assert seal["gorzyca"]["available"], seal
        rec = post_extract(s2, "slubice")
        st, _, pdf = s2.get(f"/slubice/extracts/{rec['id']}.pdf", timeout=30)
        path = save("unsealed.pdf", pdf)
        assert "does not contain any signatures" in pdfsig(path).lower() or "Signature #" not in pdfsig(path)
        assert run("qpdf", "--check", path).returncode == 0
        assert "Dokument bez pieczęci elektronicznej" in run("pdftotext", path, "-").stdout
        v = s2.get_json(f"/verify/{rec['verification_code']}")
        assert v["valid"] and not v["seal"]["present"], v
        st, _, rp = s2.get(f"/slubice/extracts/{rec['id']}/receipt.pdf")
        assert st == 200 and "Dokument bez pieczęci" in run("pdftotext", save("r.pdf", rp), "-").stdout
        # Cybinka (on_payment) without a seal: the fee is booked, the extract waits
        cy = post_extract(s2, "cybinka")
        cookie, csrf = clerk_login(s2)
        hdr = {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Cookie": cookie}
        st, _, data = s2.request("POST", f"/cybinka/cases/{cy['id']}/fee", body=b'{"status": "paid"}', headers=hdr)
        case = json.loads(data)
        assert st == 200 and case["status"] != "załatwiony" and case["fee"]["status"] == "paid", case
        assert "pieczęć" in case["history"][-1]["note"], case["history"][-1]
    finally:
        s2.stop()


class TSA(http.server.BaseHTTPRequestHandler):
    """An RFC 3161 timestamp authority: the request goes to `openssl ts -reply`."""

    def do_POST(self):
        q = self.rfile.read(int(self.headers["Content-Length"]))
        qf = save(f"tsa-{threading.get_ident()}.tsq", q)  # one file per request: requests may overlap
        rf = os.path.join(TMP, f"tsa-{threading.get_ident()}.tsr")
        r = run("openssl", "ts", "-reply", "-config", os.path.join(TMP, "tsa.cnf"), "-queryfile", qf, "-out", rf)
        TSA.calls += 1
        if r.returncode != 0:
            self.send_response(500)
            self.end_headers()
            return
        with open(rf, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


TSA.calls = 0


def make_tsa(handler=TSA):
    d = TMP
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
        f"{d}/tsa.key", "-out", f"{d}/tsa.crt", "-days", "30", "-subj", "/CN=odra TEST TSA",
        "-addext", "extendedKeyUsage=critical,timeStamping")
    with open(f"{d}/tsa.cnf", "w") as f:
        f.write(f"""[tsa]
default_tsa = tsa1
[tsa1]
dir = {d}
serial = {d}/tsa.serial
crypto_device = builtin
signer_cert = {d}/tsa.crt
certs = {d}/tsa.crt
signer_key = {d}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")
    with open(f"{d}/tsa.serial", "w") as f:
        f.write("01\n")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@test
def with_a_local_tsa_the_seal_is_pades_b_t():
    httpd = make_tsa()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/tsa"
    s3 = T.Server(DATA, config=write_ini("tsa.ini", tenant_set(BASE_INI, "slubice", "tsa_url", url)))
    try:
        h = s3.get_json("/health")
        assert [t["seal"]["level"] for t in h["tenants"] if t["slug"] == "slubice"] == ["PAdES-B-T"], h
        rec = post_extract(s3, "slubice")
        assert TSA.calls == 2, TSA.calls  # the receipt and the document
        st, _, pdf = s3.get(f"/slubice/extracts/{rec['id']}.pdf", timeout=30)
        path = save("b-t.pdf", pdf)
        assert_sealed(path, "Burmistrz Słubic")
        cms = cms_of(path)
        assert "id-smime-aa-timeStampToken" in cms, cms[-3000:]
        ok, out = timestamp_verifies(path)
        assert ok, out
        v = s3.get_json(f"/verify/{rec['verification_code']}")
        assert v["seal"]["valid"] and v["seal"]["level"] == "PAdES-B-T", v
        # a TSA that does not answer: the request fails whole (503), nothing half-issued
        httpd.shutdown()
        httpd.server_close()
        body = json.dumps({"parcels": [first_parcel("slubice")], "applicant": {"name": "X"}}).encode()
        st, _, data = s3.request("POST", "/slubice/extracts", body=body, headers={"Content-Type": "application/json"},
                                 timeout=60)
        assert st == 503 and b"timestamp authority" in data, (st, data[:300])
    finally:
        s3.stop()


class GatedTSA(TSA):
    """The TSA, answering only once the test opens the gate; `waiting` counts the requests held."""
    gate = threading.Event()
    waiting = 0

    def do_POST(self):
        GatedTSA.waiting += 1
        GatedTSA.gate.wait(60)
        TSA.do_POST(self)


@test
def a_job_waiting_on_the_tsa_leaves_its_processor_to_other_jobs():
    """Job threads start only as many jobs at once as the server has processors (here one, by affinity), and a
    job waiting on a network round trip gives its processor back. Słubice's extract waits on a TSA that does
    not answer yet; Cybinka's extract (no TSA) is issued meanwhile. Were the processor held through the wait,
    Cybinka's job could not start until the TSA call gave up (15 s), and Słubice would have its answer (a 503)
    first."""
    httpd = make_tsa(GatedTSA)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/tsa"
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(saved)})  # the server inherits one processor
    try:
        s5 = T.Server(DATA, config=write_ini("gated-tsa.ini", tenant_set(BASE_INI, "slubice", "tsa_url", url)))
    finally:
        os.sched_setaffinity(0, saved)
    slubice = {}

    def issue_slubice():
        body = json.dumps({"parcels": [first_parcel("slubice")], "applicant": {"name": "Jan Kowalski"}}).encode()
        slubice["answer"] = s5.request("POST", "/slubice/extracts", body=body,
                                       headers={"Content-Type": "application/json"}, timeout=60)

    th = threading.Thread(target=issue_slubice)
    try:
        th.start()
        for _ in range(600):  # the deadline of a test, not a speed: Słubice's job reaches the TSA
            if GatedTSA.waiting:
                break
            time.sleep(0.05)
        assert GatedTSA.waiting, "Słubice's extract never asked the TSA"
        rec = post_extract(s5, "cybinka")
        assert "answer" not in slubice, ("Cybinka waited for Słubice's TSA", slubice.get("answer", [0])[0])
        assert rec["case_number"], rec
        GatedTSA.gate.set()
        th.join(90)
        assert slubice["answer"][0] == 201, slubice["answer"][2][:300]
    finally:
        GatedTSA.gate.set()
        th.join(90)
        s5.stop()
        httpd.shutdown()
        httpd.server_close()


@test
def a_seal_key_on_a_pkcs11_token():
    """The demo seal's key moved onto a SoftHSM2 token: the server signs through the PKCS#11 module, the key
    never read from a file (seal = pkcs11:..., seal_certificate, seal_pkcs11_module)."""
    d = os.path.join(TMP, "hsm")
    os.makedirs(os.path.join(d, "tokens"))
    with open(os.path.join(d, "softhsm2.conf"), "w") as f:
        f.write(f"directories.tokendir = {d}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = os.path.join(d, "softhsm2.conf")  # the server inherits it
    p12, pw = os.path.join(DATA, "seal", "slubice.p12"), "file:" + os.path.join(DATA, "seal", "slubice.pass")
    key = run("openssl", "pkcs12", "-in", p12, "-passin", pw, "-nocerts", "-nodes").stdout
    k8 = subprocess.run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-out", f"{d}/key8.pem"], input=key, text=True)
    cert = run("openssl", "pkcs12", "-in", p12, "-passin", pw, "-nokeys").stdout
    with open(f"{d}/cert.pem", "w") as f:
        f.write(cert)
    with open(f"{d}/pin", "w") as f:
        f.write("2468\n")
    r1 = run("softhsm2-util", "--init-token", "--free", "--label", "urzad", "--pin", "2468", "--so-pin", "1357")
    r2 = run("softhsm2-util", "--import", f"{d}/key8.pem", "--token", "urzad", "--label", "pieczec", "--id", "02",
             "--pin", "2468")
    assert k8.returncode == 0 and r1.returncode == 0 and r2.returncode == 0, r1.stderr + r2.stderr
    os.remove(f"{d}/key8.pem")
    text = BASE_INI
    for k, v in (("seal", "pkcs11:token=urzad;object=pieczec;type=private"), ("seal_password_file", f"{d}/pin"),
                 ("seal_certificate", f"{d}/cert.pem"), ("seal_pkcs11_module", "/usr/lib/softhsm/libsofthsm2.so")):
        text = tenant_set(text, "slubice", k, v)
    s4 = T.Server(DATA, config=write_ini("hsm.ini", text))
    try:
        h = s4.get_json("/health")
        seal = [t["seal"] for t in h["tenants"] if t["slug"] == "slubice"][0]
        assert seal["available"] and seal["key"] == "P-256", (seal, s4.read_log()[-2000:])
        rec = post_extract(s4, "slubice")
        st, _, pdf = s4.get(f"/slubice/extracts/{rec['id']}.pdf", timeout=30)
        assert_sealed(save("hsm.pdf", pdf), "Burmistrz Słubic")
        assert s4.get_json(f"/verify/{rec['verification_code']}")["seal"]["own_seal"] is True
    finally:
        s4.stop()


done()
