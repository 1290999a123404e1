"""Extract fees and the quote (issue 13 §4, §5) against the real server on the demo data: GET
/{t}/extracts/quote equals the issued document's page counts and fee for 200 random parcel sets; it stores
nothing; hostile parameters are 400/422 JSON; exemptions by purpose and by applicant kind are stated on the
document with their article; the letterhead, applicant, signature and fee statement wording (pdftotext)."""
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import Server, assert_json_error, demo_data, done, test  # noqa: E402

T = "slubice"
PARCEL = "080505_4.0001.2015"
JSON = {"Content-Type": "application/json"}
DATA = demo_data(copy=True)  # it issues hundreds of extracts: not into the shared test data
srv = Server(DATA)
TMP = tempfile.mkdtemp(prefix="odra-fees-")


def quote(query):
    return srv.get(f"/{T}/extracts/quote?{query}", timeout=60)


def post(parcels, **extra):
    body = {"parcels": parcels, "applicant": {"name": "Jan Kowalski", "address": "ul. Długa 1, 69-100 Słubice"},
            "purpose": "sprzedaz", **extra}
    if "kind" in extra:
        body["applicant"]["kind"] = body.pop("kind")
    st, h, data = srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(), headers=JSON, timeout=60)
    assert st == 201, (st, data[:400])
    return json.loads(data)


def pdf_text(rec):
    st, h, pdf = srv.get(urllib.parse.urlparse(rec["links"]["pdf"]).path, timeout=30)
    assert st == 200
    path = os.path.join(TMP, rec["id"] + ".pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], check=True, capture_output=True).stdout.decode()
    return " ".join(out.replace("\u00ad", "").split())


def counts(table):
    con = sqlite3.connect(f"file:{os.path.join(DATA, T + '.sqlite')}?mode=ro", uri=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


@test
def quote_breaks_down_and_stores_nothing():
    before = (counts("extracts"), counts("cases"))
    st, h, data = quote(f"parcels={PARCEL}&documents=wypis,wyrys")
    assert st == 200, data[:300]
    q = json.loads(data)
    assert q["wypis_pages"] >= 1 and q["wyrys_sheets"] >= 1 and q["pages"] == q["wypis_pages"] + q["wyrys_sheets"]
    items = {i["name"]: i for i in q["fee"]["items"]}
    assert items["wypis"]["quantity"] == q["wypis_pages"] and items["wyrys"]["quantity"] == q["wyrys_parts"]
    assert q["fee"]["total_pln"] == items["wypis"]["amount_pln"] + items["wyrys"]["amount_pln"]
    assert q["fee"]["due_pln"] == q["fee"]["total_pln"] and q["fee"]["exemption"] is None
    assert "case_number" not in q and h.get("cache-control") == "no-store"
    assert (counts("extracts"), counts("cases")) == before


@test
def quote_hostile_parameters():
    assert_json_error(*quote(f"parcels={PARCEL}&bogus=1"), 400)
    assert_json_error(*quote(f"parcels={PARCEL}&as_of=2026-13-45"), 400)
    assert_json_error(*quote("parcels="), 422)
    assert_json_error(*quote("documents=wypis"), 422)
    assert_json_error(*quote(f"parcels={PARCEL}&documents=mapa"), 422)
    assert_json_error(*quote(f"parcels={PARCEL}&sheet=B5"), 422)
    assert_json_error(*quote(f"parcels={PARCEL}&applicant_kind=king"), 422)
    assert_json_error(*quote("parcels=080505_4.0001.999999"), 422)
    assert_json_error(*quote("parcels=" + ",".join([PARCEL] * 101)), 422)
    assert_json_error(*quote(f"parcels={PARCEL}&purpose=%FF%FE"), 400)
    assert_json_error(*quote("parcels=" + "A" * 9000), 400)
    j = assert_json_error(*quote("parcels=080501_1.0001.1"), 422)  # Cybinka's parcel at Słubice
    assert "gmina" in j["description"], j
    assert srv.alive()


@test
def quote_equals_issue_for_200_parcel_sets():
    con = sqlite3.connect(f"file:{os.path.join(DATA, T + '.sqlite')}?mode=ro", uri=True)
    ids = [r[0] for r in con.execute("SELECT parcel_id FROM parcels ORDER BY parcel_id")]
    con.close()
    rnd = random.Random(13)
    mismatches, compared = [], 0
    for k in range(200):
        parcels = rnd.sample(ids, rnd.choice([1, 1, 1, 2, 3, 5]))
        docs = rnd.choice([["wypis", "wyrys"], ["wypis"], ["wypis", "wyrys"]])
        sheet = rnd.choice(["A4", "A4", "A3"])
        purpose = rnd.choice(["sprzedaz", "budownictwo_mieszkaniowe", "podzial"])
        qs = urllib.parse.urlencode({"parcels": ",".join(parcels), "documents": ",".join(docs), "sheet": sheet,
                                     "purpose": purpose})
        st, h, data = quote(qs)
        if st != 200:  # a set no plan covers has no wyrys to quote: the POST refuses it the same way
            body = {"parcels": parcels, "applicant": {"name": "Jan Kowalski"}, "documents": docs, "sheet": sheet,
                    "purpose": purpose}
            pst = srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(), headers=JSON, timeout=60)[0]
            assert pst == st, (parcels, st, pst, data[:200])
            continue
        q = json.loads(data)
        compared += 1
        rec = post(parcels, documents=docs, sheet=sheet, purpose=purpose)
        got = (rec["pages"], rec["wypis_pages"], rec["wyrys_sheets"], rec["fee"]["total_pln"])
        want = (q["pages"], q["wypis_pages"], q["wyrys_sheets"], q["fee"]["due_pln"])
        if got != want or rec["fee"]["items"] != q["fee"]["items"]:
            mismatches.append((parcels, docs, sheet, got, want))
    assert not mismatches, mismatches[:5]
    assert compared >= 150, compared
    print(f"  {compared} parcel sets quoted and issued alike")


@test
def exemption_by_purpose_on_the_document():
    st, h, data = quote(f"parcels={PARCEL}&purpose=budownictwo_mieszkaniowe")
    q = json.loads(data)
    assert q["fee"]["due_pln"] == 0 and q["fee"]["exemption"]["article"] == "art. 2 ust. 1 pkt 1 lit. h", q
    rec = post([PARCEL], purpose="budownictwo_mieszkaniowe")
    assert rec["fee"]["total_pln"] == 0 and rec["fee"]["status"] == "exempt", rec["fee"]
    t = pdf_text(rec)
    # art. 2 is a wyłączenie ("nie podlega"), not a zwolnienie (art. 7)
    assert "Czynność nie podlega opłacie skarbowej na podstawie art. 2 ust. 1 pkt 1 lit. h" in t, t[-1500:]
    assert "Zwolniono z opłaty" not in t
    assert "Cel wskazany we wniosku: budownictwo mieszkaniowe" in t


@test
def exemption_by_applicant_kind():
    for kind, article in [("local_government", "art. 7 pkt 2"), ("budget_unit", "art. 7 pkt 1"),
                          ("public_benefit_org", "art. 7 pkt 3"), ("social_assistance", "art. 2 ust. 1 pkt 2")]:
        q = json.loads(quote(f"parcels={PARCEL}&applicant_kind={kind}")[2])
        assert q["fee"]["exemption"]["article"] == article and q["fee"]["due_pln"] == 0, q
    rec = post([PARCEL], kind="local_government")
    assert rec["fee"]["status"] == "exempt"
    assert "Zwolniono z opłaty skarbowej na podstawie art. 7 pkt 2 ustawy" in pdf_text(rec)
    q = json.loads(quote(f"parcels={PARCEL}&applicant_kind=company&purpose=sprzedaz")[2])
    assert q["fee"]["exemption"] is None and q["fee"]["due_pln"] > 0


@test
def wording_letterhead_signature_fee_statement():
    rec = post([PARCEL])
    t = pdf_text(rec)
    assert "Urząd Miejski w Słubicach, ul. Akademicka 1, 69-100 Słubice" in t, t[:600]
    assert "Wnioskodawca: Jan Kowalski" in t and "na wniosek" not in t
    assert "Data złożenia wniosku:" in t and "Sposób złożenia wniosku: elektronicznie" in t
    assert "z up. Burmistrza" in t and "Anna Nowak" in t and "Kierownik Referatu Gospodarki Przestrzennej" in t
    assert "jest należna i do dnia wydania dokumentu nie została odnotowana jako uiszczona" in t


LONG = ("Wielmożna Wszechwładna Wiktoria Władysława " * 6)[:200]  # the document keeps 200 characters


@test
def long_applicant_name_quoted_as_issued():
    """A 200-character name and address take more lines than the two each the document reserves: the quote
    given them (applicant_name, applicant_address) sets them as the issue does, so it is not a page short."""
    con = sqlite3.connect(f"file:{os.path.join(DATA, T + '.sqlite')}?mode=ro", uri=True)
    ids = [r[0] for r in con.execute("SELECT parcel_id FROM parcels ORDER BY parcel_id")]
    con.close()
    rnd = random.Random(7)
    named = urllib.parse.urlencode({"applicant_name": LONG, "applicant_address": LONG})
    for _ in range(300):
        parcels = rnd.sample(ids, rnd.choice([1, 2, 3, 5]))
        qs = urllib.parse.urlencode({"parcels": ",".join(parcels), "documents": "wypis"})
        st, _, plain = quote(qs)
        if st != 200:
            continue
        with_name = json.loads(quote(qs + "&" + named)[2])
        if with_name["wypis_pages"] != json.loads(plain)["wypis_pages"]:
            break
    else:
        raise AssertionError("no parcel set where the long name adds a page")
    assert with_name["wypis_pages"] == json.loads(plain)["wypis_pages"] + 1, (with_name, plain)
    body = {"parcels": parcels, "documents": ["wypis"], "applicant": {"name": LONG, "address": LONG}}
    st, h, data = srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(), headers=JSON, timeout=60)
    assert st == 201, data[:300]
    rec = json.loads(data)
    assert rec["wypis_pages"] == with_name["wypis_pages"] and rec["fee"]["items"] == with_name["fee"]["items"], (
        rec["wypis_pages"], with_name["wypis_pages"])
    assert LONG[:40] in pdf_text(rec)
    # hostile values of the new parameters: not UTF-8, over 8192 bytes, markup (printed literally)
    assert_json_error(*quote(f"parcels={PARCEL}&applicant_name=%ff%fe"), 400)
    assert_json_error(*quote(f"parcels={PARCEL}&applicant_address=" + "x" * 8193), 400)
    assert_json_error(*quote(f"parcels={PARCEL}&applicant_name=a%01b"), 400)  # a control character
    st, _, data = quote(f"parcels={PARCEL}&" + urllib.parse.urlencode({"applicant_name": "<b>&amp;</b>",
                                                                         "applicant_address": ""}))
    assert st == 200, data[:300]
    assert srv.alive()


@test
def per_plan_fee_counts_each_plans_own_pages():
    """extract_fee_per_plan = yes: a wypis citing several plans is one wypis fee per plan, each by the pages
    of that plan's own wypis (the act's rate counts a document's pages); quote and issue agree."""
    psrv = Server(DATA, extra_ini={"extract_fee_per_plan": "yes"})
    try:
        con = sqlite3.connect(f"file:{os.path.join(DATA, T + '.sqlite')}?mode=ro", uri=True)
        ids = [r[0] for r in con.execute("SELECT parcel_id FROM parcels ORDER BY parcel_id")]
        con.close()
        rnd = random.Random(5)
        seen_mixed = compared = 0
        for _ in range(80):
            parcels = rnd.sample(ids, rnd.choice([2, 3, 5, 8]))
            qs = urllib.parse.urlencode({"parcels": ",".join(parcels), "documents": "wypis,wyrys"})
            st, _, data = psrv.get(f"/{T}/extracts/quote?{qs}", timeout=60)
            if st != 200:
                continue
            q = json.loads(data)
            w = q["fee"]["items"][0]
            assert w["name"] == "wypis" and q["fee"]["per_plan"] is True
            if w["count"] < 2:
                assert "plans" not in w and w["amount_pln"] == (30 if q["wypis_pages"] <= 5 else 50), w
                continue
            plans = w["plans"]
            assert len(plans) == w["count"] == q["fee"]["wypis_count"], w
            for p in plans:  # each plan's own wypis, at most as long as the whole, by the act's rate
                assert 1 <= p["pages"] <= q["wypis_pages"] and p["amount_pln"] == (30 if p["pages"] <= 5 else 50), p
            assert w["amount_pln"] == sum(p["amount_pln"] for p in plans), w
            if q["wypis_pages"] > 5 and any(p["pages"] <= 5 for p in plans):
                seen_mixed += 1  # charging every plan by the whole document's pages would differ here
                assert w["amount_pln"] < 50 * w["count"], w
            if compared < 3 or (seen_mixed == 1 and q["wypis_pages"] > 5):
                body = {"parcels": parcels, "applicant": {"name": "Jan Kowalski"}, "documents": ["wypis", "wyrys"]}
                st, _, data = psrv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(), headers=JSON,
                                           timeout=60)
                assert st == 201, data[:300]
                rec = json.loads(data)
                assert rec["fee"]["items"] == q["fee"]["items"] and rec["wypis_pages"] == q["wypis_pages"], (rec, q)
                st, _, pdf = psrv.get(urllib.parse.urlparse(rec["links"]["pdf"]).path, timeout=30)
                path = os.path.join(TMP, rec["id"] + "-pp.pdf")
                with open(path, "wb") as f:
                    f.write(pdf)
                text = " ".join(subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], check=True,
                                               capture_output=True).stdout.decode().split())
                want = f"2.1 — {plans[0]['pages']} str. ({plans[0]['amount_pln']} zł)"
                assert "za wypis każdego planu według jego stron" in text and want in text, text[-2500:]
                compared += 1
        assert compared >= 3 and seen_mixed >= 1, (compared, seen_mixed)
        print(f"  {compared} per-plan extracts issued as quoted, {seen_mixed} charged below count × 50 zł")
    finally:
        psrv.stop()


srv.stop()
done()
