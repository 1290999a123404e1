#!/usr/bin/env python3
"""Writes an APP 2.0 GML file of a POG: one act (AktPlanowaniaPrzestrzennego) whose zasięg is a rectangle,
and NX x NY planning zones (StrefaPlanistyczna) that cover it exactly, for the import benchmark and the
hostile-input tests. Standard library only, deterministic.

    gen_app.py OUT.gml --zones 5000 [--teryt 121201] [--vertices K] [--x0 X --y0 Y] [--cell M]
               [--act-only | --zones-only] [--pad BYTES] [--fault gap|overlap|symbol|dup-lid]

Coordinates are EPSG:2180, written northing first as the CRS's authority order (and APP) has it. Every
zone edge gets K extra vertices (0 by default), computed once per edge so both zones along it share them
exactly: K inflates the file without changing what covers what. --pad appends members of a padding zone
set until the file reaches BYTES (for the 200 MB test: valid and big). --fault makes the file wrong in
one known way. The act's lokalnyId is 1POG, zones are 1POG-<n><symbol>."""
import argparse
import math
import sys

NS = "https://www.gov.pl/static/zagospodarowanieprzestrzenne/schemas/app/2.0"
HEAD = ('<?xml version="1.0" encoding="utf-8"?>\n'
        f'<wfs:FeatureCollection xmlns:app="{NS}" xmlns:gml="http://www.opengis.net/gml/3.2" '
        'xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:xlink="http://www.w3.org/1999/xlink">\n')
CRS = "http://www.opengis.net/def/crs/EPSG/0/2180"
ZONES = [("SJ", "strefaWielofunkcyjnaZZabudowaMieszkaniowaJednorodzinna",
          "strefa wielofunkcyjna z zabudową mieszkaniową jednorodzinną", "MN"),
         ("SU", "strefaUslugowa", "strefa usługowa", "U"),
         ("SP", "strefaGospodarcza", "strefa gospodarcza", "P"),
         ("SO", "strefaOtwarta", "strefa otwarta", "RN"),
         ("SZ", "strefaWielofunkcyjnaZZabudowaZagrodowa", "strefa wielofunkcyjna z zabudową zagrodową", "RZM")]
CODE = "https://www.gov.pl/static/zagospodarowanieprzestrzenne/codelist/RodzajStrefyPlanistycznejKod/"
KPT = "https://www.gov.pl/static/zagospodarowanieprzestrzenne/ontology/KPT#KPT-MPZP-"


def ident(ns, lid, ver):
    return (f"<app:idIIP><app:Identyfikator><app:przestrzenNazw>{ns}</app:przestrzenNazw>"
            f"<app:lokalnyId>{lid}</app:lokalnyId><app:wersjaId>{ver}</app:wersjaId>"
            "</app:Identyfikator></app:idIIP>")


def poslist(points):
    return " ".join(f"{y:.3f} {x:.3f}" for x, y in points)  # northing first


def polygon(points):
    return (f'<gml:Polygon srsName="{CRS}"><gml:exterior><gml:LinearRing><gml:posList>{poslist(points)}'
            "</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>")


def act(ns, ring):
    return (f'<wfs:member><app:AktPlanowaniaPrzestrzennego gml:id="akt">{ident(ns, "1POG", "20260101T000000")}'
            "<app:poczatekWersjiObiektu>2026-01-01T00:00:00Z</app:poczatekWersjiObiektu>"
            "<app:tytul>Plan ogólny gminy (benchmark)</app:tytul>"
            '<app:typPlanu xlink:href="https://www.gov.pl/static/zagospodarowanieprzestrzenne/codelist/'
            'TypAktuPlanowaniaPrzestrzennegoKod/planOgolnyGminy" xlink:title="plan ogólny gminy"/>'
            '<app:poziomHierarchii xlink:href="http://inspire.ec.europa.eu/codelist/LevelOfSpatialPlanValue/local" '
            'xlink:title="lokalny"/><app:obowiazujeOd>2026-01-15</app:obowiazujeOd>'
            '<app:status xlink:href="http://inspire.ec.europa.eu/codelist/ProcessStepGeneralValue/legalForce" '
            'xlink:title="prawnie wiążący lub realizowany"/>'
            f'<app:zasiegPrzestrzenny><gml:MultiSurface srsName="{CRS}"><gml:surfaceMember>{polygon(ring)}'
            "</gml:surfaceMember></gml:MultiSurface></app:zasiegPrzestrzenny>"
            "</app:AktPlanowaniaPrzestrzennego></wfs:member>\n")


def zone(ns, n, kind, ring, lid=None, symbol=None):
    sym, code, name, prof = ZONES[kind]
    lid = lid or f"1POG-{n}{sym}"
    symbol = symbol or sym
    return (f'<wfs:member><app:StrefaPlanistyczna gml:id="z{n}">{ident(ns, lid, "20260101T000000")}'
            f"<app:oznaczenie>{n}{symbol}</app:oznaczenie><app:symbol>{symbol}</app:symbol>"
            "<app:poczatekWersjiObiektu>2026-01-01T00:00:00Z</app:poczatekWersjiObiektu>"
            "<app:obowiazujeOd>2026-01-15</app:obowiazujeOd>"
            '<app:status xlink:href="http://inspire.ec.europa.eu/codelist/ProcessStepGeneralValue/legalForce" '
            'xlink:title="prawnie wiążący lub realizowany"/>'
            '<app:charakterUstalenia xlink:href="https://inspire.ec.europa.eu/codelist/RegulationNatureValue/'
            'generallyBinding" xlink:title="ogólnie wiążące"/>'
            f"<app:geometria>{polygon(ring)}</app:geometria>"
            '<app:plan xlink:href=""/>'
            f'<app:nazwa xlink:href="{CODE}{code}" xlink:title="{name}"/>'
            f'<app:profilPodstawowy xlink:href="{KPT}{prof}"/>'
            "<app:maksNadziemnaIntensywnoscZabudowy>0.9</app:maksNadziemnaIntensywnoscZabudowy>"
            "<app:maksUdzialPowierzchniZabudowy>40.0</app:maksUdzialPowierzchniZabudowy>"
            '<app:maksWysokoscZabudowy uom="m">12.5</app:maksWysokoscZabudowy>'
            "<app:minUdzialPowierzchniBiologicznieCzynnej>40.0</app:minUdzialPowierzchniBiologicznieCzynnej>"
            "</app:StrefaPlanistyczna></wfs:member>\n")


def edge(a, b, k):
    """The points from a to b (a included, b not), with k extra ones, the same whichever way it is asked."""
    if a > b:
        return (edge(b, a, k) + [a])[::-1][:-1]
    return [a] + [(a[0] + (b[0] - a[0]) * i / (k + 1), a[1] + (b[1] - a[1]) * i / (k + 1)) for i in range(1, k + 1)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--zones", type=int, default=5000)
    p.add_argument("--teryt", default="121201")
    p.add_argument("--vertices", type=int, default=0)
    p.add_argument("--x0", type=float, default=520000.0)
    p.add_argument("--y0", type=float, default=265000.0)
    p.add_argument("--cell", type=float, default=100.0)
    p.add_argument("--act-only", action="store_true")
    p.add_argument("--zones-only", action="store_true")
    p.add_argument("--pad", type=int, default=0)
    p.add_argument("--fault", choices=["gap", "overlap", "symbol", "dup-lid"])
    a = p.parse_args()
    ns = f"PL.ZIPPZP.9999/{a.teryt}-POG"
    nx = max(1, int(math.sqrt(a.zones)))
    ny = max(1, (a.zones + nx - 1) // nx)
    x0, y0, c = a.x0, a.y0, a.cell
    # the act: the rectangle with the zones' grid points on its edges, so the shared boundary matches
    ring = []
    for i in range(nx):
        ring += edge((x0 + i * c, y0), (x0 + (i + 1) * c, y0), a.vertices)
    for j in range(ny):
        ring += edge((x0 + nx * c, y0 + j * c), (x0 + nx * c, y0 + (j + 1) * c), a.vertices)
    for i in range(nx, 0, -1):
        ring += edge((x0 + i * c, y0 + ny * c), (x0 + (i - 1) * c, y0 + ny * c), a.vertices)
    for j in range(ny, 0, -1):
        ring += edge((x0, y0 + j * c), (x0, y0 + (j - 1) * c), a.vertices)
    ring.append(ring[0])
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(HEAD)
        if not a.zones_only:
            f.write(act(ns, ring))
        n = 0
        for j in range(ny if not a.act_only else 0):
            for i in range(nx):
                if n >= nx * ny:
                    break
                corners = [(x0 + i * c, y0 + j * c), (x0 + (i + 1) * c, y0 + j * c),
                           (x0 + (i + 1) * c, y0 + (j + 1) * c), (x0 + i * c, y0 + (j + 1) * c)]
                if a.fault == "gap" and n == 0:
                    corners[2] = (corners[2][0] - c / 4, corners[2][1] - c / 4)
                if a.fault == "overlap" and n == 0:
                    corners[2] = (corners[2][0] + c / 4, corners[2][1] + c / 4)
                zr = []
                for k in range(4):
                    zr += edge(corners[k], corners[(k + 1) % 4], a.vertices)
                zr.append(zr[0])
                n += 1
                kind = (i // 3 + j // 3) % len(ZONES)
                lid = "1POG-1" + ZONES[kind][0] if a.fault == "dup-lid" and n == 2 else None
                sym = "SK" if a.fault == "symbol" and n == 1 else None
                f.write(zone(ns, n, kind, zr, lid, sym))
        while a.pad and f.tell() < a.pad:
            # padding that is valid APP and changes no coverage: comments between members
            f.write("<!-- " + "odra benchmark padding " * 400 + "-->\n")
        f.write("</wfs:FeatureCollection>\n")
    print(f"{a.out}: act {nx * c:.0f} x {ny * c:.0f} m, {0 if a.act_only else nx * ny} zones", file=sys.stderr)


if __name__ == "__main__":
    main()
