"""Online payment end to end against a local fake of a Przelewy24-style provider (p24_fake.py, written from
the provider's public REST API v1 documentation): a Cybinka extract request (issued on payment) is paid
online: POST /{t}/payments/online registers the transaction with a correct SHA-384 sign and answers the
redirect URL; the payer's visit to it makes the fake post the signed notification to urlStatus; odra checks
it, confirms it with transaction/verify and books it: the case is paid and the extract issued. A wrong
signature, a replayed notification, a wrong amount and another merchant's notification are each refused
(401, 409, 422, 403), book nothing, and are in the audit log and the server log. The signatures are also
checked against Python's hashlib, an independent oracle."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import odra_test  # noqa: E402
from odra_test import BIN, ROOT, Server, demo_data, done, test  # noqa: E402
from p24_fake import FakeP24, sign  # noqa: E402

MERCHANT, POS, CRC, KEY = 123456, 123456, "a1b2c3d4e5f6a7b8", "0123456789abcdef0123456789abcdef"
fake = FakeP24(MERCHANT, POS, CRC, KEY)
DATA = demo_data(copy=True)
if os.path.exists(os.path.join(DATA, "identity.sqlite")):
    os.remove(os.path.join(DATA, "identity.sqlite"))
TMP = tempfile.mkdtemp(prefix="odra-p24-")
PORT = odra_test.free_port()
odra_test.free_port = lambda: PORT  # the server's address is the notification address it gives the provider
with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
    ini = f.read()
section = (f"public_url = http://127.0.0.1:{PORT}\np24_url = {fake.url}\np24_merchant_id = {MERCHANT}\n"
           f"p24_pos_id = {POS}\np24_crc = {CRC}\np24_api_key = {KEY}\n")
ini = ini.replace("[tenant cybinka]\n", "[tenant cybinka]\n" + section, 1)
CFG = os.path.join(TMP, "odra.ini")
with open(CFG, "w", encoding="utf-8") as f:
    f.write(ini)
srv = Server(DATA, config=CFG)
JSON = {"Content-Type": "application/json"}


def parcel(tenant):
    return srv.get_json(f"/{tenant}/ogc/collections/parcels/items?limit=1")["features"][0]["properties"]["parcel_id"]


P = parcel("cybinka")


def request_extract():
    body = json.dumps({"parcels": [P], "applicant": {"name": "Anna Nowak", "address": "ul. Krótka 2", "email": "anna@example.pl"}})
    st, _, data = srv.request("POST", "/cybinka/extracts", body=body.encode(), headers=JSON, timeout=60)
    assert st == 201, data
    return json.loads(data)


def start(case_id):
    st, _, data = srv.request("POST", "/cybinka/payments/online", body=json.dumps({"case": case_id}).encode(),
                              headers=JSON, timeout=30)
    return st, json.loads(data)


def extract(case_id):
    return srv.get_json(f"/cybinka/extracts/{case_id}")


def audit(action):
    con = sqlite3.connect(os.path.join(DATA, "identity.sqlite"))
    rows = con.execute("SELECT record, detail FROM audit WHERE action = ?", (action,)).fetchall()
    con.close()
    return rows


def fake_get(url):
    import http.client
    import urllib.parse
    u = urllib.parse.urlparse(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    c.request("GET", u.path)
    r = c.getresponse()
    return r.status, dict(r.getheaders()), r.read()


A = request_extract()


@test
def paying_online_settles_the_case_and_issues_the_extract():
    assert A["status"] == "pending" and A["fee"]["status"] == "due", A
    st, j = start(A["id"])
    assert st == 201, j
    assert j["redirect_url"].startswith(fake.url + "/trnRequest/TOKEN") and j["amount_gr"] == A["fee"]["remaining_gr"]
    reg = [c for c in fake.calls if c[0] == "register"][-1][1]
    # the fake registered it only because odra's sign equals hashlib's SHA-384 of the documented JSON
    assert reg["sessionId"] == j["session_id"] and reg["amount"] == A["fee"]["total_pln"] * 100, reg
    assert reg["urlStatus"] == f"http://127.0.0.1:{PORT}/cybinka/payments/online/p24/notify", reg
    assert A["case_number"] in reg["description"], reg
    # the payer goes to the provider; it notifies odra
    st, _, data = fake_get(j["redirect_url"])
    r = json.loads(data)
    assert r["notified"] == 200 and r["answer"] == {"status": "ok"}, r
    assert [c for c in fake.calls if c[0] == "verify"], "odra confirms with transaction/verify"
    e = extract(A["id"])
    assert e["status"] == "issued" and e["fee"]["status"] == "paid" and e["fee"]["remaining_gr"] == 0, e["fee"]
    assert audit("payments.online.paid"), "audited"


NOTIFY = f"http://127.0.0.1:{PORT}/cybinka/payments/online/p24/notify"


@test
def a_replayed_notification_is_refused_and_logged():
    t = [c for c in fake.calls if c[0] == "register"][-1][1]
    paid_order = max(fake.paid)
    n = fake.notice(t, order_id=paid_order)
    n_before = len(audit("payments.online.refused"))
    st, ans = fake.post(NOTIFY, n)
    assert st == 409 and "replay" in ans["description"], (st, ans)
    st, ans = fake.post(NOTIFY, fake.notice(t))  # a new order id for the same, paid session
    assert st == 409, (st, ans)
    assert len(audit("payments.online.refused")) == n_before + 2
    assert extract(A["id"])["fee"]["paid_gr"] == A["fee"]["total_pln"] * 100, "booked once"


B = request_extract()


@test
def a_wrong_signature_a_wrong_amount_and_another_merchant_are_refused():
    st, j = start(B["id"])
    assert st == 201, j
    t = fake.transactions[j["redirect_url"].rsplit("/", 1)[1]]
    verifies = len([c for c in fake.calls if c[0] == "verify"])
    st, ans = fake.post(NOTIFY, fake.notice(t, crc="not-the-crc"))
    assert st == 401 and "signature" in ans["description"], (st, ans)
    forged = fake.notice(t)
    forged["amount"] = 1  # changed after signing
    st, ans = fake.post(NOTIFY, forged)
    assert st == 401, (st, ans)
    st, ans = fake.post(NOTIFY, fake.notice(t, amount=t["amount"] - 100))  # rightly signed, wrong amount
    assert st == 422 and "amount" in ans["description"], (st, ans)
    other = fake.notice(t)
    other["merchantId"] = 999
    st, ans = fake.post(NOTIFY, other)
    assert st == 403, (st, ans)
    st, ans = fake.post(NOTIFY, {"sessionId": "x"})
    assert st == 400, (st, ans)
    assert len([c for c in fake.calls if c[0] == "verify"]) == verifies, "nothing refused reached verify"
    e = extract(B["id"])
    assert e["status"] == "pending" and e["fee"]["paid_gr"] == 0, e["fee"]
    reasons = " ".join(d for _, d in audit("payments.online.refused"))
    assert "signature" in reasons and "amount" in reasons and "merchant" in reasons, reasons
    assert "notification refused" in srv.read_log()
    # and the right notification still settles it
    st, ans = fake.notify(t)
    assert st == 200, ans
    assert extract(B["id"])["status"] == "issued"


@test
def starting_is_refused_for_a_paid_case_an_unknown_case_and_a_gmina_without_a_provider():
    st, j = start(A["id"])
    assert st == 409, j
    st, j = start("0" * 32)
    assert st == 404, j
    st, j = start("nope")
    assert st == 422, j
    st, _, data = srv.request("POST", "/slubice/payments/online", body=b'{"case":"' + b"0" * 32 + b'"}',
                              headers=JSON)
    assert st == 404, data


srv.stop()
fake.stop()
done()
