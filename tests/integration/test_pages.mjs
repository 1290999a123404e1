// The residents' pages in Debian's headless Chromium (playwright-core, as test_map_page.mjs):
// 1. axe-core (WCAG 2.0/2.1 A and AA rules) on every page reached by links from the entry page, in Polish
//    and English, signed out and signed in;
// 2. keyboard journey 1 (find a parcel by number, read the card, order, quote, confirm, download the receipt)
//    and journey 4 (log in, file the waste declaration, read its fee), each with JavaScript off, by Tab,
//    typing and Enter only; run once more with JavaScript on to count trusted mouse events (must be 0);
// 3. focus is visible (the skip link) and pages reflow at 200 % zoom (a 640 px wide viewport).
// Prints one JSON line for test_pages.py. Environment: ODRA_BASE, ODRA_TENANT, ODRA_NUMBER, ODRA_LOGIN,
// ODRA_PASSWORD, ODRA_ADDRESS.
import fs from 'node:fs';
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
    '--disable-component-update', '--disable-sync'],
});

// the map print (/{t}/print, a GET form of /{t}/planner/print) answers a PDF download, and the print form
// with a map's centre is the print form again: test_pages_planner checks both
const skip = /^\/(api|health|auth\/|assets\/|favicon)|^\/[^/]+\/(planner\/)?print\?|\.(pdf|ics|json|png)$|format=ics|lang=/;

async function logIn(page) {
  await page.goto(`${base}/${t}/signin`);
  await page.fill('#login', env.ODRA_LOGIN);
  await page.fill('#password', env.ODRA_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.press('#password', 'Enter')]);
}

// axe-core's WCAG 2.0 and 2.1 A and AA rules on the page shown, recorded under run.
async function axeHere(page, run, url, status = 200) {
  await page.addScriptTag({ path: axePath });
  const res = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  out.axe.push({ run, url: url || new URL(page.url()).pathname, status,
    violations: res.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) })) });
}

// axe on every page reachable from / (one gmina), in one language, signed in or not.
async function axeCrawl(lang, signedIn) {
  const ctx = await browser.newContext({ locale: lang === 'en' ? 'en-GB' : 'pl-PL', bypassCSP: true });
  const page = await ctx.newPage();
  if (signedIn) await logIn(page);
  const seen = new Set(), queue = ['/'];
  while (queue.length) {
    const p = queue.shift();
    if (seen.has(p)) continue;
    seen.add(p);
    const r = await page.goto(base + p);
    if (!r || !(r.headers()['content-type'] || '').startsWith('text/html')) continue;
    // the maps: test_map_page and test_pages_planner (its links are the planner pages' own navigation)
    if (p.endsWith('/map') || p.endsWith('/planner')) continue;
    await axeHere(page, `${lang} ${signedIn ? 'in' : 'out'}`, p, r.status());
    const links = await page.$$eval('a[href]', as => as.map(a => a.getAttribute('href')));
    // a search form is followed with a parcel number, other GET forms with what they hold (the order form
    // from a card holds its parcel): the pages behind them are crawled too
    links.push(...await page.$$eval('form[method=get]', (forms, number) => forms.map(f => {
      const q = new URLSearchParams();
      for (const el of f.elements) {
        if (!el.name || ((el.type === 'checkbox' || el.type === 'radio') && !el.checked)) continue;
        q.append(el.name, el.name === 'q' && !el.value ? number : el.value);
      }
      return f.getAttribute('action') + '?' + q.toString();
    }), env.ODRA_NUMBER));
    for (const l of links) {
      const u = new URL(l, base + p);
      if (u.origin !== base) continue;
      const target = u.pathname + u.search;
      const seg = u.pathname.split('/')[1];
      if (skip.test(target) || (seg && seg !== t && seg !== 'verify')) continue;
      queue.push(target);
    }
  }
  await ctx.close();
}

// Tab until the focused element matches selector.
async function tabTo(page, selector, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.locator(selector + ':focus').count()) return;
  }
  throw new Error('Tab did not reach ' + selector + ' on ' + page.url());
}

async function enter(page) {
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

// A context for a journey; with JavaScript on, every trusted mouse event is counted in sessionStorage.
async function journeyContext(js) {
  const ctx = await browser.newContext({ locale: 'pl-PL', javaScriptEnabled: js, acceptDownloads: true, bypassCSP: js });
  if (js) {
    await ctx.addInitScript(() => {
      for (const type of ['mousedown', 'mouseup', 'mousemove', 'pointerdown', 'wheel']) {
        addEventListener(type, e => {
          if (e.isTrusted) sessionStorage.mouse = String(Number(sessionStorage.mouse || 0) + 1);
        }, true);
      }
    });
  }
  return ctx;
}

// With JavaScript on, axe checks each page of a journey too (those behind a POST: the receipt, the fee).
const stepAxe = async (page, js) => { if (js) await axeHere(page, 'journey'); };

const mouseCount = async (page, js) => (js ? Number(await page.evaluate(() => sessionStorage.mouse || 0)) : 0);

async function journey1(js) {
  const r = { steps: [], js };
  const ctx = await journeyContext(js);
  const page = await ctx.newPage();
  try {
    await page.goto(`${base}/${t}/home`);
    await tabTo(page, '#q');
    await page.keyboard.type(env.ODRA_NUMBER);
    await enter(page);
    r.steps.push('searched');
    await stepAxe(page, js);
    await tabTo(page, `ol.results a[href^="/${t}/card?parcel="]`);
    await enter(page);
    r.steps.push('card');
    await stepAxe(page, js);
    r.cardTitle = await page.locator('h1').textContent();
    await tabTo(page, `a[href^="/${t}/order?parcels="]`);
    await enter(page);
    r.steps.push('order');
    await stepAxe(page, js);
    await tabTo(page, '#purpose');
    await page.keyboard.type('sprzedaż');
    await enter(page); // Enter in a text field submits its form
    r.steps.push('quote');
    await stepAxe(page, js);
    r.quote = (await page.locator('table.fee tfoot').textContent()).replace(/\s+/g, ' ').trim();
    await tabTo(page, '#name');
    await page.keyboard.type('Anna Nowak');
    await tabTo(page, '#address');
    await page.keyboard.type('ul. Graniczna 1, 69-100 Słubice');
    await tabTo(page, 'form[action$="/order"] button[type=submit]');
    await enter(page);
    r.steps.push('confirmed');
    await stepAxe(page, js);
    r.status = (await page.locator('h1').textContent()).trim();
    await tabTo(page, 'a[href$="/receipt.pdf"]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    const file = await download.path();
    const head = fs.readFileSync(file).subarray(0, 5).toString();
    r.receipt = { status: 200, pdf: head === '%PDF-', name: download.suggestedFilename() };
    r.steps.push('receipt');
    r.mouse = await mouseCount(page, js);
  } catch (e) {
    r.error = String(e);
  }
  await ctx.close();
  return r;
}

async function journey4(js) {
  const r = { steps: [], js };
  const ctx = await journeyContext(js);
  const page = await ctx.newPage();
  try {
    await page.goto(`${base}/${t}/declaration`);
    await tabTo(page, `main a[href^="/${t}/signin?return="]`);
    await enter(page);
    await tabTo(page, '#login');
    await page.keyboard.type(env.ODRA_LOGIN);
    await tabTo(page, '#password');
    await page.keyboard.type(env.ODRA_PASSWORD);
    await enter(page);
    r.steps.push('login');
    await stepAxe(page, js);
    if (!page.url().endsWith(`/${t}/declaration`)) throw new Error('log-in did not return: ' + page.url());
    r.steps.push('declaration');
    await tabTo(page, '#name');
    await page.keyboard.type('Anna Nowak');
    await tabTo(page, '#pesel');
    await page.keyboard.type('44051401359');
    await tabTo(page, '#address');
    await page.keyboard.type(env.ODRA_ADDRESS);
    await tabTo(page, '#building_type');
    await page.keyboard.press('ArrowDown'); // multi_family, so a second run is a change of the payer's data
    await page.keyboard.press('ArrowUp');
    await tabTo(page, '#residents');
    await page.keyboard.type('4');
    await enter(page);
    r.fee = (await page.locator('main .lead').textContent().catch(() => '')).trim();
    r.h1 = (await page.locator('h1').textContent()).trim();
    if (r.h1 !== 'Deklaracja złożona') throw new Error('not filed: ' + r.h1 + ' ' +
      (await page.locator('.problem').textContent().catch(() => '')));
    r.steps.push('filed');
    await stepAxe(page, js);
    r.mouse = await mouseCount(page, js);
  } catch (e) {
    r.error = String(e);
  }
  await ctx.close();
  return r;
}

async function focusAndZoom() {
  const ctx = await browser.newContext({ locale: 'pl-PL', viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(`${base}/${t}/home`);
  await page.keyboard.press('Tab');
  out.focus = await page.evaluate(() => {
    const a = document.activeElement, s = getComputedStyle(a), box = a.getBoundingClientRect();
    return { cls: a.className, outline: s.outlineStyle === 'none' ? 'none' : s.outlineWidth + ' ' + s.outlineStyle,
      skipVisible: box.left >= 0 && box.top >= 0 && box.width > 0 };
  });
  // 200 % zoom of a 1280 px window: the layout of a 640 px one; nothing may need horizontal scrolling
  await page.setViewportSize({ width: 640, height: 400 });
  const pages = [`/${t}/home`, `/${t}/find?q=${env.ODRA_NUMBER}`, `/${t}/order`, `/${t}/signin`, `/${t}/declaration`, '/'];
  out.zoom = { overflow: false, pages: [] };
  for (const p of pages) {
    await page.goto(base + p);
    const w = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    out.zoom.pages.push([p, ...w]);
    if (w[0] > w[1]) out.zoom.overflow = true;
  }
  await ctx.close();
}

try {
  for (const lang of ['pl', 'en'])
    for (const signedIn of [false, true]) await axeCrawl(lang, signedIn);
  out.journey1 = await journey1(false);
  const j1js = await journey1(true);
  out.journey1.mouse = j1js.error ? -1 : j1js.mouse;
  out.journey4 = await journey4(false);
  const j4js = await journey4(true);
  out.journey4.mouse = j4js.error ? -1 : j4js.mouse;
  if (j1js.error) out.errors.push('journey 1 with JavaScript: ' + j1js.error);
  if (j4js.error) out.errors.push('journey 4 with JavaScript: ' + j4js.error);
  await focusAndZoom();
} catch (e) {
  out.errors.push(String(e && e.stack || e));
}
await browser.close();
console.log(JSON.stringify(out));
