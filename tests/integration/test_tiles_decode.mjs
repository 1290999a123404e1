// Decodes an MVT file with @mapbox/vector-tile (an independent decoder) and prints, as JSON, the layers
// with their feature counts, the extent, and the number of polygon rings whose winding breaks MVT 2.1.
// usage: node test_tiles_decode.mjs FILE Z X Y   (called by test_tiles.py)
import fs from 'node:fs';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';

const [file] = process.argv.slice(2);
const tile = new VectorTile(new PbfReader(fs.readFileSync(file)));
const out = { layers: {}, extent: 0, badWinding: 0, features: 0 };
for (const [name, layer] of Object.entries(tile.layers)) {
  out.layers[name] = layer.length;
  out.extent = layer.extent;
  for (let i = 0; i < layer.length; i++) {
    const f = layer.feature(i);
    f.loadGeometry();
    out.features++;
    if (f.type !== 3) continue;
    // the first ring of a feature must be exterior: positive area by the surveyor's formula (y down)
    const ring = f.loadGeometry()[0];
    let a = 0;
    for (let k = 0, j = ring.length - 1; k < ring.length; j = k++) a += ring[j].x * ring[k].y - ring[k].x * ring[j].y;
    if (a <= 0) out.badWinding++;
  }
}
console.log(JSON.stringify(out));
