// The planner's map page in a real browser: Debian's headless Chromium driven by playwright-core loads
// /{t}/map from the server given in ODRA_URL, waits for the vector tiles, checks that the console has no
// errors, takes a screenshot and counts the zone colours in it. The text layers use odra's glyphs
// (/fonts/{fontstack}/{range}.pbf): the glyph requests must succeed, the symbol layers must have rendered
// features, and a second screenshot with the symbol layers hidden (ODRA_SHOT_NOLABELS) lets the Python side
// compare the dark (text) pixels. Prints one JSON line for test_map_page.py.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const url = process.env.ODRA_URL;
const shot = process.env.ODRA_SHOT;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'odra-chromium-'));
// a fresh profile directory (playwright passes it to Chromium as --user-data-dir)
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1000, height: 700 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const out = { errors: [], tiles: 0, tileFailures: 0, fonts: [], fontFailures: 0 };
const shotNoLabels = process.env.ODRA_SHOT_NOLABELS;
try {
  const page = await browser.newPage();
  page.on('console', m => { if (m.type() === 'error') out.errors.push(m.text()); });
  page.on('pageerror', e => out.errors.push(String(e)));
  page.on('response', r => {
    if (r.url().includes('.mvt')) { out.tiles++; if (r.status() !== 200) out.tileFailures++; }
    if (r.url().includes('/fonts/')) {
      out.fonts.push(decodeURIComponent(new URL(r.url()).pathname) + ' ' + r.status());
      if (r.status() !== 200 && r.status() !== 304) out.fontFailures++;
    }
    if (r.status() >= 400) out.errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  await page.goto(url + '#15/52.35/14.561', { waitUntil: 'load' });
  // getStyle() is undefined until the style document has arrived (slow under ASan): guard every step.
  await page.waitForFunction(() => {
    const m = window.odraMap;
    const st = m && m.isStyleLoaded() && m.getStyle();
    return !!(st && st.layers && st.layers.length > 5 && m.loaded() && m.areTilesLoaded());
  },
    null, { timeout: 60000 });
  await page.waitForTimeout(500);
  out.title = await page.title();
  out.layers = await page.evaluate(() => window.odraMap.getStyle().layers.length);
  out.symbolLayers = await page.evaluate(() => window.odraMap.getStyle().layers.filter(l => l.type === 'symbol').map(l => l.id));
  out.labels = await page.evaluate(() => {
    const m = window.odraMap;
    const ids = m.getStyle().layers.filter(l => l.type === 'symbol').map(l => l.id);
    return m.queryRenderedFeatures({ layers: ids }).map(f => String(f.properties.label || f.properties.name || f.properties.number || ''));
  });
  await page.locator('#map').screenshot({ path: shot });
  if (shotNoLabels) {
    await page.evaluate(() => {
      const m = window.odraMap;
      // removed rather than hidden: the page's layer switches re-show their groups on every styledata
      m.getStyle().layers.filter(l => l.type === 'symbol').forEach(l => m.removeLayer(l.id));
    });
    await page.waitForFunction(() => window.odraMap.loaded() && window.odraMap.areTilesLoaded(), null, { timeout: 30000 });
    await page.waitForTimeout(500);
    await page.locator('#map').screenshot({ path: shotNoLabels });
  }
} catch (e) {
  out.errors.push('test: ' + e);
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
