// The planners' pages in Debian's headless Chromium (playwright-core, as test_pages.mjs):
// 1. axe-core (WCAG 2.0/2.1 A and AA rules) on every planner page, the map page too, in Polish and English;
// 2. keyboard journey 5: from the gmina's home page to the planners' map, its print link, the print form,
//    scale 1:1000 on A4, and the PDF downloaded, by Tab, typing, arrow keys and Enter only (trusted mouse
//    events counted: must be 0); the PDF's scale is checked by test_pages_planner.py;
// 3. the map's date slider: a day chosen by keyboard makes the map ask the plan tiles with ?date=.
// Prints one JSON line. Environment: ODRA_BASE, ODRA_TENANT, ODRA_PARCEL, ODRA_OUT (a directory).
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');
const env = process.env;
const base = env.ODRA_BASE, t = env.ODRA_TENANT;
const out = { errors: [], axe: [] };
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});

async function axeHere(page, run, url) {
  await page.addScriptTag({ path: axePath });
  const res = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  out.axe.push({ run, url, violations: res.violations.map(v => ({ id: v.id, impact: v.impact,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) })) });
}

// Every planner page, and every plan's page, in one language.
async function axePages(lang) {
  const ctx = await browser.newContext({ locale: lang === 'en' ? 'en-GB' : 'pl-PL', bypassCSP: true });
  const page = await ctx.newPage();
  const pages = [`/${t}/planner`, `/${t}/planner/print`, `/${t}/planner/plans`, `/${t}/planner/qgis`];
  await page.goto(`${base}/${t}/planner/plans?lang=${lang}`);
  pages.push(...await page.$$eval('table a[href]', as => as.map(a => a.getAttribute('href'))));
  for (const p of pages) {
    await page.goto(base + p, { waitUntil: 'load' });
    if (p.endsWith('/planner')) await page.waitForFunction(() => window.odraPlannerMap && window.odraPlannerMap.loaded(), null, { timeout: 20000 }).catch(() => {});
    await axeHere(page, lang, p);
  }
  await ctx.close();
}

// Presses Tab until the focused element matches sel (at most max times); false when it never does.
async function tabTo(page, sel, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(s => document.activeElement && document.activeElement.matches(s), sel)) return true;
  }
  return false;
}

const countMouse = () => {
  const n = +(sessionStorage.getItem('odraMouse') || 0);
  for (const type of ['mousedown', 'mouseup', 'click', 'pointerdown'])
    window.addEventListener(type, ev => {
      if (ev.isTrusted && ev.detail !== 0 && (ev.type !== 'click' || ev.pointerType === 'mouse'))
        sessionStorage.setItem('odraMouse', String(+(sessionStorage.getItem('odraMouse') || 0) + 1));
    }, true);
  return n;
};

async function journey5() {
  const j = { steps: [], mouse: 0 };
  const ctx = await browser.newContext({ locale: 'pl-PL', acceptDownloads: true });
  await ctx.addInitScript(countMouse);
  const page = await ctx.newPage();
  try {
    await page.goto(`${base}/${t}/home`);
    j.steps.push('home');
    if (!await tabTo(page, `a[href="/${t}/planner"]`)) throw new Error('no planner link by Tab');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    j.steps.push('planner');
    await page.waitForFunction(() => window.odraPlannerMap && window.odraPlannerMap.loaded(), null, { timeout: 20000 });
    if (!await tabTo(page, '#print-link')) throw new Error('no print link by Tab');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    if (!new URL(page.url()).pathname.endsWith('/planner/print')) throw new Error('not the print form: ' + page.url());
    j.steps.push('print form');
    // the area: the parcel, with the view's centre cleared, so the sheet centres on it
    if (!await tabTo(page, '#p-center')) throw new Error('no centre field');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    if (!await tabTo(page, '#p-parcels')) throw new Error('no parcels field');
    await page.keyboard.type(env.ODRA_PARCEL);
    if (!await tabTo(page, '#p-scale')) throw new Error('no scale field');
    for (let i = 0; i < 5 && await page.$eval('#p-scale', s => s.value) !== '1000'; i++) await page.keyboard.press('ArrowUp');
    if (await page.$eval('#p-scale', s => s.value) !== '1000') throw new Error('scale not chosen');
    j.steps.push('scale 1:1000');
    if (!await page.$eval('#p-a4', r => r.checked)) throw new Error('A4 is not the default');
    if (!await tabTo(page, '.print-form button[type=submit]')) throw new Error('no submit button');
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.keyboard.press('Enter')]);
    j.pdf = path.join(env.ODRA_OUT, 'journey5.pdf');
    await dl.saveAs(j.pdf);
    j.steps.push('downloaded');
    j.mouse = await page.evaluate(() => +(sessionStorage.getItem('odraMouse') || 0));
  } catch (e) {
    j.error = String(e && e.stack || e);
  }
  await ctx.close();
  return j;
}

// The date slider: ten PageDown presses take it back; the map then asks the plan tiles with that ?date=.
async function slider() {
  const j = { tile_requests: [] };
  const ctx = await browser.newContext({ locale: 'pl-PL' });
  const page = await ctx.newPage();
  try {
    await page.goto(`${base}/${t}/planner`);
    await page.waitForFunction(() => window.odraPlannerMap && window.odraPlannerMap.loaded(), null, { timeout: 20000 });
    j.today = await page.$eval('#date', d => d.value);
    page.on('request', r => { if (/\/tiles\/plan\/\d+\/\d+\/\d+\.mvt\?date=/.test(r.url())) j.tile_requests.push(r.url()); });
    await page.focus('#date-slider');
    for (let i = 0; i < 10; i++) await page.keyboard.press('PageDown');
    j.date = await page.evaluate(() => window.odraPlannerDate());
    await page.waitForFunction(() => window.odraPlannerMap.getSource('odra').tiles[0].includes('date='), null, { timeout: 10000 });
    await page.waitForTimeout(300);
    await page.waitForFunction(() => window.odraPlannerMap.loaded(), null, { timeout: 20000 });
    j.status = await page.$eval('#date-out', p => p.textContent);
    j.tile_requests = j.tile_requests.slice(-20);
  } catch (e) {
    j.error = String(e && e.stack || e);
  }
  await ctx.close();
  return j;
}

try {
  await axePages('pl');
  await axePages('en');
  out.journey5 = await journey5();
  out.slider = await slider();
} catch (e) {
  out.errors.push(String(e && e.stack || e));
}
await browser.close();
console.log(JSON.stringify(out));
