// A keyboard-only journey through the entry page and the map page in Debian's headless Chromium (driven by
// playwright-core, launched as in test_map_page.mjs): Tab to the gmina's link on / and press Enter; Tab to
// the search box, type a parcel number, choose the first result with ArrowDown and Enter, and read the
// card; Escape closes it. Then a number held by several obręby: all are listed, ArrowDown picks one, and
// the card's close button (reached with Tab) closes it. Every console error, page error and HTTP status of
// 400 or more is recorded. Prints one JSON line for test_map_keyboard.py.
// Environment: ODRA_BASE (http://127.0.0.1:port), ODRA_TENANT, ODRA_NUMBER, ODRA_MULTI, ODRA_MULTI_PICK.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.ODRA_BASE, tenant = process.env.ODRA_TENANT;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'odra-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1200, height: 800 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const out = { errors: [], responses: [], steps: [] };
const step = s => out.steps.push(s);

// Headless Chromium does not fetch favicons by itself, and Playwright leaves any URL ending in /favicon.ico
// out of its events: fetch the page's icon and decode it as an image, as a browser tab would.
const iconOf = page => page.evaluate(async () => {
  const l = document.querySelector('link[rel=icon]');
  if (!l) return null;
  const r = await fetch(l.href, { cache: 'no-store' }); // seen by the response listener below
  const img = new Image();
  img.src = l.href;
  try { await img.decode(); } catch (e) { return { href: l.getAttribute('href'), status: r.status, error: String(e) }; }
  return { href: l.getAttribute('href'), type: l.getAttribute('type'), status: r.status,
    contentType: r.headers.get('content-type'), width: img.naturalWidth, height: img.naturalHeight };
});

// Reads what the page shows: the focused element, the listbox, the card.
const snapshot = page => page.evaluate(() => {
  const a = document.activeElement;
  const q = document.getElementById('q');
  const card = document.getElementById('card');
  const text = e => (e ? e.textContent.replace(/\s+/g, ' ').trim() : null);
  return {
    focus: a ? (a.id || a.tagName.toLowerCase()) : null,
    expanded: q.getAttribute('aria-expanded'),
    activedescendant: q.getAttribute('aria-activedescendant'),
    status: text(document.getElementById('search-status')),
    options: Array.from(document.querySelectorAll('#results [role=option]')).map(li => ({
      id: li.id, selected: li.getAttribute('aria-selected'), label: text(li.querySelector('.label')),
      sub: text(li.querySelector('.sub')), kind: li.className,
    })),
    cardHidden: card.hidden,
    cardBusy: card.getAttribute('aria-busy'),
    title: text(document.getElementById('card-title')),
    facts: Array.from(card.querySelectorAll('#card-body > .facts dt')).map(dt => [text(dt), text(dt.nextElementSibling)]),
    zones: Array.from(card.querySelectorAll('.zone')).map(z => ({
      kind: z.dataset.kind, label: text(z.querySelector('.zone-label')), name: text(z.querySelector('.zone-name')),
      share: text(z.querySelector('.zone-share')), area: text(z.querySelector('.zone-area')),
      params: Array.from(z.querySelectorAll('.facts dt')).map(dt => [text(dt), text(dt.nextElementSibling)]),
    })),
    plans: Array.from(card.querySelectorAll('.plan')).map(p => ({ title: text(p.querySelector('h4')), act: text(p.querySelector('.act')) })),
    headings: Array.from(card.querySelectorAll('h3')).map(text),
    waste: Array.from(card.querySelectorAll('table.waste tbody tr')).map(tr => Array.from(tr.cells).map(text)),
  };
});

async function tabTo(page, test, max = 15) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(test)) return true;
  }
  throw new Error('Tab did not reach ' + test);
}

async function waitCard(page) {
  await page.waitForFunction(() => {
    const c = document.getElementById('card');
    return !c.hidden && !c.getAttribute('aria-busy') && document.querySelector('#card-body .facts');
  }, null, { timeout: 30000 });
}

try {
  const page = await browser.newPage();
  page.on('console', m => { if (m.type() === 'error') out.errors.push(m.text()); });
  page.on('pageerror', e => out.errors.push(String(e)));
  page.on('response', r => {
    const u = new URL(r.url());
    out.responses.push(u.pathname + ' ' + r.status());
    if (r.status() >= 400) out.errors.push(`HTTP ${r.status()} ${r.url()}`);
  });

  // the entry page, by keyboard: the gmina's link leads to its map
  await page.goto(base + '/', { waitUntil: 'load' });
  out.indexLinks = await page.evaluate(() => Array.from(document.querySelectorAll('li a')).map(a => a.getAttribute('href')));
  out.indexIcon = await iconOf(page);
  await tabTo(page, `document.activeElement.getAttribute('href') === '/${tenant}/map'`);
  await Promise.all([page.waitForURL('**/' + tenant + '/map**'), page.keyboard.press('Enter')]);
  step('index → map');
  out.mapIcon = await iconOf(page);
  await page.waitForFunction(() => {
    const m = window.odraMap;
    const st = m && m.isStyleLoaded() && m.getStyle();
    return !!(st && st.layers && st.layers.length > 5 && m.loaded());
  }, null, { timeout: 60000 });

  // the search box, by Tab; type the number; ArrowDown + Enter
  await tabTo(page, "document.activeElement.id === 'q'");
  await page.keyboard.type(process.env.ODRA_NUMBER, { delay: 40 });
  await page.waitForFunction(() => document.querySelectorAll('#results [role=option]').length > 0
    && document.getElementById('search-status').textContent, null, { timeout: 15000 });
  out.typed = await snapshot(page);
  await page.keyboard.press('ArrowDown');
  out.arrowed = await snapshot(page);
  await page.keyboard.press('Enter');
  await waitCard(page);
  await page.waitForFunction(() => !window.odraMap.isMoving(), null, { timeout: 15000 });
  out.chosen = await snapshot(page);
  out.center = await page.evaluate(() => window.odraMap.getCenter().toArray());
  out.selection = await page.evaluate(() => {
    const s = window.odraMap.getSource('odra-selection');
    return s ? JSON.stringify(s.serialize().data).length : 0;
  });
  step('chosen');
  // Escape closes the card and gives the focus back to the search box
  await page.keyboard.press('Escape');
  out.escaped = await snapshot(page);
  step('escaped');

  // a number in several obręby: every one is listed; pick one with the arrows
  await page.keyboard.press('Control+A');
  await page.keyboard.type(process.env.ODRA_MULTI, { delay: 40 });
  await page.waitForFunction(n => {
    const opts = document.querySelectorAll('#results [role=option]');
    return opts.length > 1 && Array.from(opts).every(li => {
      const label = li.querySelector('.label').textContent;
      return label.startsWith('dz. ' + n + ',') || label.startsWith('dz. ' + n + '/');
    });
  }, process.env.ODRA_MULTI, { timeout: 15000 });
  out.multi = await snapshot(page);
  const pick = Number(process.env.ODRA_MULTI_PICK);
  for (let i = 0; i <= pick; i++) await page.keyboard.press('ArrowDown');
  out.multiArrowed = await snapshot(page);
  await page.keyboard.press('Enter');
  await waitCard(page);
  out.multiChosen = await snapshot(page);
  // Tab from the card reaches its close button; Enter closes it
  await page.keyboard.press('Tab');
  out.closeFocus = await page.evaluate(() => document.activeElement.id);
  await page.keyboard.press('Enter');
  out.closed = await snapshot(page);
  step('closed');
  await page.waitForTimeout(300);
} catch (e) {
  out.errors.push('test: ' + e);
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
