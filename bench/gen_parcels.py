#!/usr/bin/env python3
"""Writes N synthetic parcels as GeoJSON in EPSG:2176 (PL-2000 zone 5) around Słubice, for the import
benchmark: python3 bench/gen_parcels.py N OUT.geojson [SEED]. Standard library only, deterministic.

Coordinates are in traditional GIS order (x = easting, y = northing), as GDAL reads GeoJSON whatever its
"crs" member says. Słubice (52.35 N, 14.56 E) is x = 5,470,020, y = 5,801,933 in EPSG:2176
(checked with ogr2ogr -t_srs EPSG:2176). Parcels are 30 x 40 m with a jittered vertex on each edge,
laid out in rows and grouped into obręby of 5,000 parcels; every 1,000th parcel has a bow-tie ring, so
validation and repair are exercised too."""
import json
import random
import sys

X0, Y0 = 5466000.0, 5796000.0  # south-west corner of the grid
W, H = 30.0, 40.0
OBREB_SIZE = 5000
LAND_USE = ["B", "R", "RIIIa", "RIVb", "Ls", "Ps", "dr", "Bi", "W"]


def parcel(i, cols, rng):
    row, col = divmod(i, cols)
    x, y = X0 + col * W, Y0 + row * H
    pts = [
        (x, y),
        (x + W * rng.uniform(0.3, 0.7), y),
        (x + W, y),
        (x + W, y + H * rng.uniform(0.3, 0.7)),
        (x + W, y + H),
        (x + W * rng.uniform(0.3, 0.7), y + H),
        (x, y + H),
        (x, y + H * rng.uniform(0.3, 0.7)),
    ]
    if i % 1000 == 999:  # a bow-tie: the import must repair it and say so
        pts[4], pts[6] = pts[6], pts[4]
    ring = [[round(px, 2), round(py, 2)] for px, py in pts]
    ring.append(ring[0])
    return ring


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: gen_parcels.py N OUT.geojson [SEED]")
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 2180)
    cols = max(1, int(n ** 0.5))
    with open(out, "w", encoding="utf-8") as f:
        f.write('{"type":"FeatureCollection","name":"parcels",'
                '"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::2176"}},"features":[\n')
        for i in range(n):
            obreb = i // OBREB_SIZE + 1
            number = f"{i % OBREB_SIZE + 1}/{rng.randint(1, 9)}" if i % 7 == 0 else str(i % OBREB_SIZE + 1)
            feat = {
                "type": "Feature",
                "properties": {
                    "parcel_id": f"080505_{4 if obreb <= 4 else 5}.{obreb:04d}.{number}",
                    "number": number,
                    "obreb": f"Obręb {obreb}",
                    "land_use": LAND_USE[rng.randrange(len(LAND_USE))],
                },
                "geometry": {"type": "Polygon", "coordinates": [parcel(i, cols, rng)]},
            }
            f.write(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
            f.write(",\n" if i + 1 < n else "\n")
        f.write("]}\n")


if __name__ == "__main__":
    main()
