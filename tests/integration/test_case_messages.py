"""Messages and attachments of cases on the real server: a resident and a clerk write to each other on the
resident's case; the clerk's call for documents sets "do uzupełnienia" and the resident's answer (a message
or a file) returns the case to "w toku", each with its history entry; a closed case takes nothing from the
resident (409, in Polish). Files are typed by their bytes: a PDF named .png, HTML named .pdf, markup sent as
text, a DOCX that expands like a zip bomb, a body over the limit (413 before it is read, also for an
anonymous caller), one file too many, empty files and broken multipart bodies are refused; downloads are
the same bytes (SHA-256) with the detected type, an RFC 6266/8187 Content-Disposition, nosniff and no-store.
IDOR (another resident's case and another case's attachment: 404 on every route), anonymous 401, wrong role
403, missing CSRF 403 (the multipart form's csrf field is accepted), and the audit log. Accounts are made
with the real CLI, as test_cases.py does."""
import hashlib
import io
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import uuid
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import BIN, ROOT, Server, assert_json_error, demo_data, done, test  # noqa: E402

DATA = demo_data(copy=True)
if os.path.exists(os.path.join(DATA, "identity.sqlite")):
    os.remove(os.path.join(DATA, "identity.sqlite"))
TMP = tempfile.mkdtemp(prefix="odra-msg-")
PW = {"rafal": "rafal-haslo-0003", "pola": "pola-haslo-00004", "jan": "jan-haslo-000005", "bob": "bob-haslo-000006"}
MAX = 200000  # attachment_max_bytes under test
PER_CASE = 6


def config():
    with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
        text = f.read()
    # a [server] max_body below the attachment limit: the upload routes take more than the other routes
    text, n = re.subn(r"^max_body\s*=.*$", "max_body = 65536", text, count=1, flags=re.M)
    assert n == 1
    text += ("\n[auth]\nopslimit = 1\nmemlimit = 8388608\nlogin_per_ip = 10000\nlogin_per_account = 10000\n"
             f"\n[cases]\nattachment_max_bytes = {MAX}\nattachments_per_case = {PER_CASE}\n")
    path = os.path.join(TMP, "odra.ini")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


CFG = config()


def odra(*args, stdin=None):
    return subprocess.run([BIN, *args, "--config", CFG, "--data", DATA], input=stdin, capture_output=True, text=True,
                          timeout=60)


for login, opts in (("rafal", ("--tenant", "rzepin", "--role", "clerk")),
                    ("pola", ("--tenant", "rzepin", "--role", "planner")), ("jan", ()), ("bob", ())):
    r = odra("user", "add", *opts, login, stdin=PW[login] + "\n")
    assert r.returncode == 0, r.stderr
r = odra("client", "add", "--tenant", "rzepin", "--scope", "cases:write", "--scope", "cases:read", "ezd-rzepin")
assert r.returncode == 0, r.stderr
KEY = r.stdout.strip()

srv = Server(DATA, config=CFG)
JSON = {"Content-Type": "application/json"}
SESS = {}


def session(login):
    if login not in SESS:
        st, hd, body = srv.request("POST", "/auth/login", body=json.dumps({"login": login, "password": PW[login]}),
                                   headers=JSON)
        assert st == 200, (login, st, body)
        SESS[login] = (re.match(r"odra_session=([^;]+);", hd["set-cookie"]).group(1), json.loads(body)["csrf_token"])
    return SESS[login]


def h(login=None, csrf=True, ctype="application/json"):
    hd = {"Content-Type": ctype} if ctype else {}
    if login is None:
        return hd
    tok, tk = session(login)
    hd["Cookie"] = f"odra_session={tok}"
    if csrf:
        hd["X-CSRF-Token"] = tk
    return hd


def parcel(tenant):
    return srv.get_json(f"/{tenant}/ogc/collections/parcels/items?limit=1")["features"][0]["properties"]["parcel_id"]


def request_extract(tenant, who):
    body = json.dumps({"parcels": [parcel(tenant)], "applicant": {"name": "Jan Kowalski", "address": "ul. Długa 1"},
                       "purpose": "sprzedaż"})
    st, _, data = srv.request("POST", f"/{tenant}/extracts", body=body.encode(), headers=h(who), timeout=60)
    assert st == 201, (st, data[:300])
    return json.loads(data)


def post_json(path, body, who, csrf=True):
    hd = who if isinstance(who, dict) else h(who, csrf)
    return srv.request("POST", path, body=json.dumps(body).encode(), headers=hd, timeout=30)


def multipart(fields, boundary=None):
    """A multipart/form-data body as a browser sends it: fields are (name, value) or (name, filename, type, bytes)."""
    b = boundary or "----odraTest" + uuid.uuid4().hex
    out = io.BytesIO()
    for f in fields:
        out.write(f"--{b}\r\n".encode())
        if len(f) == 2:
            out.write(f'Content-Disposition: form-data; name="{f[0]}"\r\n\r\n'.encode() + f[1].encode() + b"\r\n")
        else:
            name, filename, ctype, data = f
            out.write(f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'.encode("utf-8"))
            if ctype:
                out.write(f"Content-Type: {ctype}\r\n".encode())
            out.write(b"\r\n" + data + b"\r\n")
    out.write(f"--{b}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={b}"


def upload(path, who, fields=None, raw=None, ctype=None, name=None, csrf="header"):
    """POSTs an upload: a multipart form of fields, or a raw body with ctype and ?name=. csrf: header, form, none."""
    if raw is None:
        fields = list(fields)
        if csrf == "form" and isinstance(who, str):
            fields.insert(0, ("csrf", session(who)[1]))
        body, ct = multipart(fields)
    else:
        body, ct = raw, ctype
    hd = dict(who) if isinstance(who, dict) else h(who, csrf == "header", ct)
    if isinstance(who, dict) and ct:
        hd["Content-Type"] = ct
    q = f"?name={name}" if name is not None else ""
    return srv.request("POST", path + q, body=body, headers=hd, timeout=30)


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n" + os.urandom(64)
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x04\x00\x09\xfb\x03\xfd\xe3U\xf2\x9c\x00\x00\x00\x00IEND\xaeB`\x82")
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def docx(extra=None):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("word/document.xml", extra if extra is not None else "<w:document/>")
    return b.getvalue()


def odt():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    return b.getvalue()


JAN = request_extract("rzepin", "jan")  # Rzepin: issued on a clerk's decision, so the case stays open
BOB = request_extract("rzepin", "bob")
CASE = JAN["id"]
ME = f"/rzepin/me/cases/{CASE}"
STAFF = f"/rzepin/cases/{CASE}"


def case_status(path=STAFF, who="rafal"):
    st, _, data = srv.request("GET", path, headers=h(who))
    assert st == 200, (st, data[:300])
    return json.loads(data)


@test
def resident_and_clerk_write_to_each_other_and_the_status_follows():
    st, _, data = post_json(ME + "/messages", {"body": "Dzień dobry,\nczy potrzebny jest pełnomocnik?"}, "jan")
    assert st == 201, (st, data)
    j = json.loads(data)
    assert j["messages"][-1]["author"] == {"kind": "resident", "login": "jan"}
    assert j["messages"][-1]["body"] == "Dzień dobry,\nczy potrzebny jest pełnomocnik?", j  # the line break is kept
    # the clerk reads it: it is marked read by staff
    st, _, data = srv.request("GET", STAFF + "/messages", headers=h("rafal"))
    assert st == 200, data
    m = json.loads(data)["messages"]
    assert len(m) == 1 and m[0]["read_by_staff_at"], m
    # the clerk calls for documents
    st, _, data = post_json(STAFF + "/messages", {"body": "Proszę dołączyć pełnomocnictwo.", "status": "do uzupełnienia"},
                            "rafal")
    assert st == 201, (st, data)
    assert json.loads(data)["status"] == "do uzupełnienia"
    c = case_status(ME, "jan")
    assert c["status"] == "do uzupełnienia" and c["history"][-1]["status"] == "do uzupełnienia", c["history"]
    assert [x["author"]["kind"] for x in c["messages"]] == ["resident", "staff"], c["messages"]
    assert c["messages"][1]["read_by_resident_at"] is None
    st, _, data = srv.request("GET", ME + "/messages", headers=h("jan"))
    assert st == 200 and json.loads(data)["messages"][1]["read_by_resident_at"], data
    # the resident answers with a file, through a browser form whose csrf field carries the token
    st, _, data = upload(ME + "/attachments", "jan", [("body", "W załączeniu pełnomocnictwo."),
                                                      ("file", "pełnomocnictwo.pdf", "application/pdf", PDF)],
                         csrf="form")
    assert st == 201, (st, data)
    j = json.loads(data)
    assert j["status"] == "w toku", j
    att = j["attachments"][-1]
    assert att["media_type"] == "application/pdf" and att["size"] == len(PDF), att
    assert att["sha256"] == hashlib.sha256(PDF).hexdigest() and att["file_name"] == "pełnomocnictwo.pdf", att
    assert j["messages"][-1]["attachments"][0]["id"] == att["id"], j["messages"][-1]
    c = case_status()
    notes = [(x["status"], x["by"]) for x in c["history"]]
    assert ("do uzupełnienia", "rafal") in notes and notes[-1] == ("w toku", "jan"), notes
    assert c["attachments"][-1]["id"] == att["id"] and len(c["messages"]) == 3


@test
def an_api_client_writes_as_staff():
    hd = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    st, _, data = post_json(STAFF + "/messages", {"body": "Wiadomość z systemu EZD."}, hd)
    assert st == 201, (st, data)
    assert json.loads(data)["messages"][-1]["author"] == {"kind": "staff", "login": "ezd-rzepin"}


@test
def downloads_are_the_same_bytes_with_safe_headers():
    name = 'umowa "kopia"; żółć.pdf'
    st, _, data = upload(ME + "/attachments", "jan", raw=PDF, ctype="application/pdf",
                         name="umowa%20%22kopia%22%3B%20%C5%BC%C3%B3%C5%82%C4%87.pdf")
    assert st == 201, (st, data)
    att = json.loads(data)["attachments"][-1]
    assert att["file_name"] == name, att
    for who, path in (("jan", f"{ME}/attachments/{att['id']}"), ("rafal", f"{STAFF}/attachments/{att['id']}")):
        st, hd, body = srv.request("GET", path, headers=h(who))
        assert st == 200 and hashlib.sha256(body).hexdigest() == att["sha256"], (who, st)
        assert hd["content-type"] == "application/pdf", hd
        assert hd["x-content-type-options"] == "nosniff" and hd["cache-control"] == "private, no-store", hd
        cd = hd["content-disposition"]
        assert cd == ("attachment; filename=\"umowa _kopia__ ________.pdf\"; "  # 8 bytes of żółć, 8 '_'
                      "filename*=UTF-8''umowa%20%22kopia%22%3B%20%C5%BC%C3%B3%C5%82%C4%87.pdf"), cd
    # a text file comes back as UTF-8 text, a DOCX and an ODT as what they are
    for data_, fname, mt in ((b"Zazolc gesla jazn\n", "notatka.txt", "text/plain; charset=utf-8"),
                             (docx(), "pismo.docx", "application/vnd.openxmlformats-officedocument."
                                                    "wordprocessingml.document"),
                             (odt(), "pismo.odt", "application/vnd.oasis.opendocument.text")):
        st, _, data = upload(STAFF + "/attachments", "rafal", [("file", fname, None, data_)])
        assert st == 201, (fname, st, data)
        att = json.loads(data)["attachments"][-1]
        assert att["media_type"] == mt and att["uploaded_by"] == {"kind": "staff", "login": "rafal"}, att
        st, hd, body = srv.request("GET", f"{ME}/attachments/{att['id']}", headers=h("jan"))
        assert st == 200 and body == data_ and hd["content-type"] == mt, (st, hd)


@test
def hostile_uploads_are_refused_by_their_content():
    path = ME + "/attachments"
    cases = [
        ("a PDF named .png", [("file", "zdjecie.png", "image/png", PDF)], 415),
        ("a PDF declared as PNG", [("file", "plik", "image/png", PDF)], 415),
        ("HTML named .pdf", [("file", "wniosek.pdf", "application/pdf", HTML)], 415),
        ("HTML named .txt", [("file", "a.txt", "text/plain", HTML)], 415),
        ("an SVG", [("file", "a.txt", None, b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')], 415),
        ("binary junk", [("file", "a.bin", None, os.urandom(2000) + b"\x00")], 415),
        ("a PNG named .pdf", [("file", "a.pdf", None, PNG)], 415),
        ("a zip that is no document", [("file", "a.docx", None, docx(None)[:30] + b"broken")], 415),
        ("a DOCX that expands 50 MB", [("file", "bomba.docx", None, docx(" " * (50 << 20)))], 422),
        ("an empty file", [("file", "pusty.pdf", "application/pdf", b"")], 422),
        ("no file part", [("body", "bez pliku")], 422),
        ("two file parts", [("file", "a.pdf", None, PDF), ("file", "b.pdf", None, PDF)], 422),
    ]
    for what, fields, status in cases:
        st, hd, data = upload(path, "jan", fields)
        j = assert_json_error(st, hd, data, status)
        assert j["description"], (what, j)
    # raw bodies: the declared type must agree as well
    st, hd, data = upload(path, "jan", raw=PDF, ctype="image/png", name="a.png")
    assert_json_error(st, hd, data, 415)
    st, hd, data = upload(path, "jan", raw=HTML, ctype="text/html", name="a.html")
    assert_json_error(st, hd, data, 415)
    st, hd, data = upload(path, "jan", raw=b"", ctype="application/pdf", name="a.pdf")
    assert_json_error(st, hd, data, 422)
    c = case_status()
    assert all(a["file_name"] not in ("bomba.docx", "wniosek.pdf", "zdjecie.png") for a in c["attachments"]), c
    assert srv.alive()


@test
def broken_multipart_bodies_are_400():
    path = ME + "/attachments"
    good, ct = multipart([("file", "a.pdf", None, PDF)])
    for body, ctype in (
            (good, "multipart/form-data"),  # no boundary
            (good, "multipart/form-data; boundary=" + "x" * 71),  # too long
            (good, "multipart/form-data; boundary=inna"),  # not the body's
            (good[:-20], ct),  # not closed
            (good.replace(b"\r\n\r\n", b"\r\n", 1), ct),  # headers not ended
            (good.replace(b"Content-Disposition: form-data; ", b"Content-Disposition: inline; "), ct),
            (b"--" + ct.split("=")[1].encode() + b"\r\n" + b"X-A: " + b"a" * 9000 + b"\r\n\r\nx\r\n", ct),
    ):
        st, hd, data = srv.request("POST", path, body=body, headers={**h("jan", ctype=ctype)}, timeout=30)
        assert_json_error(st, hd, data, 400)
    st, hd, data = srv.request("POST", path, body=b"csrf=1", headers=h("jan", ctype="application/x-www-form-urlencoded"))
    assert_json_error(st, hd, data, 415)
    assert srv.alive()


def raw_post(path, headers, body_len, send=0):
    """A POST announcing body_len bytes, sending only send of them; the status line of the answer."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {body_len}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    s.sendall(head.encode() + b"%PDF-" + b"0" * max(0, send - 5))
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.split(b"\r\n", 1)[0].decode()


@test
def an_oversized_upload_is_413_before_its_body():
    # over attachment_max_bytes plus framing: refused on the head, with only a few bytes sent
    line = raw_post(ME + "/attachments", h("jan", ctype="application/pdf"), MAX + 70000, send=100)
    assert " 413 " in line, line
    # over max_body (64 KiB here) but within the attachment limit: taken
    big = b"%PDF-1.7\n" + os.urandom(MAX - 100)
    st, _, data = upload(ME + "/attachments", "jan", [("file", "duzy-skan.pdf", "application/pdf", big)])
    assert st == 201, (st, data[:300])
    assert json.loads(data)["attachments"][-1]["sha256"] == hashlib.sha256(big).hexdigest()
    # under the framing allowance but over the file limit: read and refused as too large a file
    st, hd, data = upload(ME + "/attachments", "jan", raw=b"%PDF-" + b"0" * (MAX + 10), ctype="application/pdf",
                          name="duzy.pdf")
    assert_json_error(st, hd, data, 413)
    # an anonymous caller is refused before its body too, whatever it announces
    line = raw_post(ME + "/attachments", {"Content-Type": "application/pdf"}, MAX, send=100)
    assert " 401 " in line, line
    # a JSON route keeps [server] max_body
    line = raw_post(ME + "/messages", h("jan"), 65537)
    assert " 413 " in line, line
    assert srv.alive()


@test
def a_resident_cannot_write_to_a_closed_case():
    closed = request_extract("slubice", "jan")  # Słubice issues at once: załatwiony
    assert closed["case"]["status"] == "załatwiony"
    st, hd, data = post_json(f"/slubice/me/cases/{closed['id']}/messages", {"body": "Jeszcze jedno"}, "jan")
    j = assert_json_error(st, hd, data, 409)
    assert "zakończona" in j["description"], j
    st, hd, data = upload(f"/slubice/me/cases/{closed['id']}/attachments", "jan", [("file", "a.pdf", None, PDF)])
    assert_json_error(st, hd, data, 409)


@test
def bad_messages_are_422():
    for body in ({"body": ""}, {"body": "   \n "}, {"body": 5}, {}, {"body": "x" * 5001},
                 {"body": "ok", "status": "załatwiony"}):
        st, hd, data = post_json(STAFF + "/messages", body, "rafal")
        assert_json_error(st, hd, data, 422)
    st, hd, data = post_json(ME + "/messages", {"body": "ok", "status": "do uzupełnienia"}, "jan")
    assert_json_error(st, hd, data, 422)
    st, hd, data = srv.request("POST", ME + "/messages", body=b"{not json", headers=h("jan"))
    assert_json_error(st, hd, data, 400)
    st, hd, data = srv.request("POST", ME + "/messages", body=b'{"body":"x"}', headers=h("jan", ctype="text/plain"))
    assert_json_error(st, hd, data, 415)


@test
def too_many_attachments_is_409():
    case = BOB["id"]
    path = f"/rzepin/me/cases/{case}/attachments"
    for i in range(PER_CASE):
        st, _, data = upload(path, "bob", [("file", f"skan{i}.png", "image/png", PNG)])
        assert st == 201, (i, st, data)
    st, hd, data = upload(path, "bob", [("file", "jeden-za-duzo.png", "image/png", PNG)])
    j = assert_json_error(st, hd, data, 409)
    assert "załącznik" in j["description"], j
    st, hd, data = upload(f"/rzepin/cases/{case}/attachments", "rafal", [("file", "a.pdf", None, PDF)])
    assert_json_error(st, hd, data, 409)


@test
def another_residents_case_is_404_on_every_route():
    bob_case = BOB["id"]
    att_bob = case_status(f"/rzepin/cases/{bob_case}")["attachments"][0]["id"]
    att_jan = case_status()["attachments"][0]["id"]
    for method, path in (("GET", f"{ME}/messages"), ("POST", f"{ME}/messages"), ("POST", f"{ME}/attachments"),
                         ("GET", f"{ME}/attachments/{att_jan}"), ("GET", ME)):
        if method == "GET":
            st, hd, data = srv.request("GET", path, headers=h("bob"))
        elif path.endswith("attachments"):
            st, hd, data = upload(path, "bob", [("file", "a.pdf", None, PDF)])
        else:
            st, hd, data = post_json(path, {"body": "cudza sprawa"}, "bob")
        assert_json_error(st, hd, data, 404)
    # another case's attachment through one's own case, and junk ids
    for aid in (att_bob, 0, -1, "abc", "1e3", "99999999999999999999"):
        st, hd, data = srv.request("GET", f"{ME}/attachments/{aid}", headers=h("jan"))
        assert_json_error(st, hd, data, 404)
        st, hd, data = srv.request("GET", f"{STAFF}/attachments/{aid}", headers=h("rafal"))
        assert_json_error(st, hd, data, 404)
    st, hd, data = srv.request("GET", "/rzepin/me/cases/" + "0" * 32 + "/messages", headers=h("jan"))
    assert_json_error(st, hd, data, 404)


@test
def anonymous_401_wrong_role_403_missing_csrf_403():
    routes = [("GET", f"{ME}/messages"), ("POST", f"{ME}/messages"), ("POST", f"{ME}/attachments"),
              ("GET", f"{ME}/attachments/1"), ("GET", f"{STAFF}/messages"), ("POST", f"{STAFF}/messages"),
              ("POST", f"{STAFF}/attachments"), ("GET", f"{STAFF}/attachments/1")]
    body, ct = multipart([("file", "a.pdf", None, PDF)])
    for method, path in routes:
        payload = body if path.endswith("attachments") else b'{"body":"x"}'
        ctype = ct if path.endswith("attachments") else "application/json"
        st, hd, data = srv.request(method, path, body=payload if method == "POST" else None,
                                   headers={"Content-Type": ctype})
        assert_json_error(st, hd, data, 401)
        if path.startswith("/rzepin/cases"):
            for who in ("pola", "jan"):  # a planner and a resident are no clerks
                st, hd, data = srv.request(method, path, body=payload if method == "POST" else None,
                                           headers=h(who, ctype=ctype))
                assert_json_error(st, hd, data, 403)
        if method == "POST":
            who = "rafal" if path.startswith("/rzepin/cases") else "jan"
            st, hd, data = srv.request(method, path, body=payload, headers=h(who, csrf=False, ctype=ctype))
            j = assert_json_error(st, hd, data, 403)
            assert "CSRF" in j["description"], j
    # a wrong token in the form field is no token
    bad, ct2 = multipart([("csrf", "x" * 43), ("file", "a.pdf", None, PDF)])
    st, hd, data = srv.request("POST", f"{ME}/attachments", body=bad, headers=h("jan", csrf=False, ctype=ct2))
    assert_json_error(st, hd, data, 403)


@test
def the_audit_log_records_staff_reads_and_writes_and_resident_writes():
    r = odra("audit", "verify")
    assert r.returncode == 0 and "intact" in r.stdout, (r.returncode, r.stdout, r.stderr)
    con = sqlite3.connect(os.path.join(DATA, "identity.sqlite"))
    rows = con.execute("SELECT actor, action, record, detail FROM audit WHERE tenant = 'rzepin' AND record = ?",
                       (JAN["case_number"],)).fetchall()
    con.close()
    seen = {(a, act) for a, act, _, _ in rows}
    for want in (("jan", "case.message.add"), ("jan", "case.attachment.add"), ("rafal", "case.messages.read"),
                 ("rafal", "case.message.add"), ("rafal", "case.attachment.add"), ("rafal", "case.attachment.read"),
                 ("client:ezd-rzepin", "case.message.add")):
        assert want in seen, (want, sorted(seen))
    att = [d for a, act, _, d in rows if act == "case.attachment.add" and a == "jan"]
    assert any(hashlib.sha256(PDF).hexdigest() in d for d in att), att


@test
def the_server_stops_cleanly():
    # under the sanitizers (build-asan) a leak or a bad access makes the exit status non-zero
    assert srv.alive()
    rc = srv.stop()
    with open(os.path.join(srv.tmp, "server.log"), encoding="utf-8", errors="replace") as f:
        log = f.read()
    assert rc == 0 and "Sanitizer" not in log, (rc, log[-2000:])


done()
