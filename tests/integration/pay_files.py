"""Bank statement files for the payments tests and bench, written from the published layouts (no real bank's
file could be fetched here; docs/payments.md says so):

- MT940 (SWIFT Customer Statement Message) as Polish banks deliver it: :20:, :25: /PL + 26 digits, :28C:,
  :60F: opening balance, then :61: lines (value date YYMMDD, entry date MMDD, C/D/RC/RD mark, amount with
  a decimal comma, transaction type N + 3 characters, customer reference, //bank reference, and on a
  second line the supplementary details holding the virtual account credited), each followed by its :86:
  in the Polish structure "NNN~00code~20..~25 title~30 bank~31 account~32..~33 name~38 IBAN~60..~63",
  and :62F: closing balance. Lines wrap at 65 characters as SWIFT requires.
- CSV of two banks as mapped in odra.ini: [bank.pko] (windows-1250, ';', YYYY-MM-DD, a transaction id) and
  [bank.mbank] (UTF-8, ';', DD-MM-YYYY, a preamble above the header, no id, amounts with spaces and
  decimal commas, a footer after an empty line).

A transaction is a dict: amount_gr (signed), va (the virtual account or None), title, name, cp (the
counterparty's NRB), ref (the bank's reference or None), day (datetime.date).
"""
import datetime


def nrb_check(bban24):
    n = int(bban24 + "252100")
    return 98 - n % 97


def nrb(bban24):
    return "%02d%s" % (nrb_check(bban24), bban24)


def amount(gr, comma=True):
    s = "%d%s%02d" % (abs(gr) // 100, "," if comma else ".", abs(gr) % 100)
    return s


def _wrap(tag, text):
    """A field wrapped at 65 characters per line (the tag on the first)."""
    first = f":{tag}:{text}"
    out = [first[:65]]
    rest = first[65:]
    while rest:
        out.append(rest[:65])
        rest = rest[65:]
    return out


def mt940(account, txs, opening_gr=0, cut_after=None, bad_closing=False, number=1):
    """MT940 text: one statement of account (26 digits) with txs. cut_after=k ends the file after the
    k-th transaction's :86: (a transfer cut in the middle)."""
    lines = ["{1:F01BPKOPLPWAXXX0000000000}{2:O9400000000000BPKOPLPWXXXX00000000000000000000N}{4:",
             ":20:ST%08d" % number, f":25:/PL{account}", ":28C:%05d/001" % number]
    day0 = txs[0]["day"] if txs else datetime.date(2026, 12, 1)
    sign = "C" if opening_gr >= 0 else "D"
    lines.append(f":60F:{sign}{day0:%y%m%d}PLN{amount(opening_gr)}")
    bal = opening_gr
    for i, t in enumerate(txs):
        g = t["amount_gr"]
        mark = t.get("mark") or ("C" if g >= 0 else "D")
        d = t["day"]
        ref = t.get("ref") or "NONREF"
        lines.append(f":61:{d:%y%m%d}{d:%m%d}{mark}{amount(g)}NTRF{ref[:16]}//{ref[:16]}")
        lines.append(t["va"] if t.get("va") else "PRZELEW")
        title = t.get("title", "")
        parts = [title[i:i + 27] for i in range(0, min(len(title), 162), 27)] or [""]
        s86 = "020~00VE02PRZELEW" + "".join("~%d%s" % (20 + k, p) for k, p in enumerate(parts))
        cp = t.get("cp") or ""
        if cp:
            s86 += f"~30{cp[2:10]}~31{cp[10:]}"
        name = t.get("name", "")
        s86 += f"~32{name[:35]}~33{name[35:70]}"
        if cp:
            s86 += f"~38PL{cp}"
        s86 += "~6010201026"
        lines += _wrap("86", s86)
        bal += g
        if cut_after is not None and i + 1 >= cut_after:
            return "\r\n".join(lines) + "\r\n"
    closing = bal + (1 if bad_closing else 0)
    d = txs[-1]["day"] if txs else day0
    lines.append(f":62F:{'C' if closing >= 0 else 'D'}{d:%y%m%d}PLN{amount(closing)}")
    lines.append("-}")
    return "\r\n".join(lines) + "\r\n"


def _q(s):
    return '"' + (s or "").replace('"', '""') + '"'


def pko_csv(txs, broken_line=None):
    """[bank.pko]: windows-1250 bytes. broken_line=k leaves the k-th data line's quotes open."""
    head = ";".join(_q(c) for c in ("Data operacji", "Data waluty", "Typ transakcji", "Kwota", "Waluta",
                                   "Rachunek wirtualny", "Rachunek nadawcy/odbiorcy", "Nadawca/Odbiorca", "Tytuł",
                                   "Identyfikator transakcji"))
    rows = [head]
    for i, t in enumerate(txs):
        g = t["amount_gr"]
        row = [f"{t['day']:%Y-%m-%d}", f"{t['day']:%Y-%m-%d}", "Przelew na rachunek" if g >= 0 else "Zwrot",
               ("-" if g < 0 else "+") + amount(g), "PLN", t.get("va") or "", t.get("cp") or "", t.get("name", ""),
               t.get("title", ""), t.get("ref") or ""]
        line = ";".join(_q(c) for c in row)
        if broken_line is not None and i + 1 == broken_line:
            line = line[:-1]  # the closing quote lost
        rows.append(line)
    return ("\r\n".join(rows) + "\r\n").encode("cp1250")


def _spaced(gr):
    zl = abs(gr) // 100
    s = f"{zl:,}".replace(",", " ")
    return ("-" if gr < 0 else "") + s + ",%02d" % (abs(gr) % 100)


def mbank_csv(txs):
    """[bank.mbank]: UTF-8 with a preamble, DD-MM-YYYY dates, no transaction id, a footer."""
    out = ["mBank S.A. Bankowość Korporacyjna;", "Elektroniczne zestawienie operacji;", "#Za okres:;",
           "01.12.2026;31.12.2026;", "",
           "#Data księgowania;#Data operacji;#Opis operacji;#Tytuł;#Nadawca/Odbiorca;#Numer konta;"
           "#Rachunek wirtualny;#Kwota;#Saldo po operacji;"]
    for t in txs:
        g = t["amount_gr"]
        out.append(";".join([f"{t['day']:%d-%m-%Y}", f"{t['day']:%d-%m-%Y}",
                             "PRZELEW ZEWNĘTRZNY PRZYCHODZĄCY" if g >= 0 else "ZWROT PRZELEWU",
                             _q(t.get("title", "")), _q(t.get("name", "")), "'" + (t.get("cp") or "") + "'",
                             t.get("va") or "", _spaced(g), "0,00", ""]))
    out += ["", "#Saldo końcowe;0,00;"]
    return ("\n".join(out) + "\n").encode("utf-8")
