// The clerks' pages in Debian's headless Chromium (playwright-core, as test_pages.mjs):
// 1. axe-core (WCAG 2.0/2.1 A and AA rules) on every clerk page a signed-in clerk reaches by links and GET
//    forms from the entry page, in Polish and English;
// 2. keyboard journey 2: sign in, find the case in the queue, open it and issue it, by Tab and Enter only,
//    with JavaScript off; once more with JavaScript on (another case) to count trusted mouse events (0).
// Prints one JSON line for test_pages_clerk.py. Environment: ODRA_BASE, ODRA_TENANT, ODRA_LOGIN,
// ODRA_PASSWORD, ODRA_CASE, ODRA_CASE2 (case ids), ODRA_NUMBER.
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

const skip = /^\/(api|health|auth\/|assets\/|verify\/|favicon)|\.(pdf|ics|json|png)$|\/attachments\/|format=ics|lang=/;

async function axeHere(page, run, url) {
  await page.addScriptTag({ path: axePath });
  const res = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  out.axe.push({ run, url, violations: res.violations.map(v => ({ id: v.id, impact: v.impact,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) })) });
}

// axe on every clerk page reachable from / (links and GET forms), signed in as the clerk.
async function axeCrawl(lang) {
  const ctx = await browser.newContext({ locale: lang === 'en' ? 'en-GB' : 'pl-PL', bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(`${base}/${t}/signin?return=/${t}/home`);
  await page.fill('#login', env.ODRA_LOGIN);
  await page.fill('#password', env.ODRA_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.press('#password', 'Enter')]);
  const seen = new Set(), queue = ['/'];
  while (queue.length) {
    const p = queue.shift();
    if (seen.has(p)) continue;
    seen.add(p);
    const r = await page.goto(base + p);
    if (!r || r.status() !== 200 || !(r.headers()['content-type'] || '').startsWith('text/html')) {
      if (r && r.status() !== 200) out.errors.push(`${p}: ${r.status()}`);
      continue;
    }
    const clerk = p.startsWith(`/${t}/clerk`);
    if (clerk) await axeHere(page, lang, p);
    if (!clerk && p !== '/' && p !== `/${t}/home`) continue; // the residents' pages: test_pages
    const links = await page.$$eval('a[href]', as => as.map(a => a.getAttribute('href')));
    links.push(...await page.$$eval('form[method=get]', forms => forms.map(f => {
      const q = new URLSearchParams();
      for (const el of f.elements) {
        if (!el.name || ((el.type === 'checkbox' || el.type === 'radio') && !el.checked)) continue;
        q.append(el.name, el.value);
      }
      return f.getAttribute('action') + '?' + q.toString();
    })));
    for (const l of links) {
      const u = new URL(l, base + p);
      if (u.origin !== base) continue;
      const target = u.pathname + u.search;
      const seg = u.pathname.split('/')[1];
      if (skip.test(target) || (seg && seg !== t)) continue;
      queue.push(target);
    }
  }
  await ctx.close();
}

async function tabTo(page, selector, max = 200) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.locator(selector + ':focus').count()) return;
  }
  throw new Error('Tab did not reach ' + selector + ' on ' + page.url());
}

async function enter(page) {
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

async function journey2(js, caseId) {
  const r = { steps: [], js };
  const ctx = await browser.newContext({ locale: 'pl-PL', javaScriptEnabled: js, bypassCSP: js });
  if (js) {
    await ctx.addInitScript(() => {
      for (const type of ['mousedown', 'mouseup', 'mousemove', 'pointerdown', 'wheel']) {
        addEventListener(type, e => {
          if (e.isTrusted) sessionStorage.mouse = String(Number(sessionStorage.mouse || 0) + 1);
        }, true);
      }
    });
  }
  const page = await ctx.newPage();
  try {
    await page.goto(`${base}/${t}/clerk`); // anonymous: sent to the log-in page, then back
    await tabTo(page, '#login');
    await page.keyboard.type(env.ODRA_LOGIN);
    await tabTo(page, '#password');
    await page.keyboard.type(env.ODRA_PASSWORD);
    await enter(page);
    r.steps.push('login');
    if (!new URL(page.url()).pathname.endsWith(`/${t}/clerk`)) throw new Error('not back at the queue: ' + page.url());
    r.steps.push('queue');
    await tabTo(page, `a[href="/${t}/clerk/cases/${caseId}"]`);
    await enter(page);
    r.steps.push('case');
    if (js) await axeHere(page, 'journey', new URL(page.url()).pathname);
    await tabTo(page, '#issue');
    await enter(page);
    r.status = (await page.locator('#case-status').textContent()).trim();
    if (r.status !== 'załatwiony') throw new Error('not issued: ' + r.status + ' ' +
      (await page.locator('.problem').textContent().catch(() => '')));
    r.steps.push('issued');
    if (js) await axeHere(page, 'journey', new URL(page.url()).pathname);
    r.mouse = js ? Number(await page.evaluate(() => sessionStorage.mouse || 0)) : 0;
  } catch (e) {
    r.error = String(e);
  }
  await ctx.close();
  return r;
}

try {
  for (const lang of ['pl', 'en']) await axeCrawl(lang);
  out.journey2 = await journey2(false, env.ODRA_CASE);
  out.journey2js = await journey2(true, env.ODRA_CASE2);
} catch (e) {
  out.errors.push(String(e && e.stack || e));
}
await browser.close();
console.log(JSON.stringify(out));
