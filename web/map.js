// The planner's map page: the plan style over odra's vector tiles, layer switches by the style's
// odra:group metadata, one search box for addresses and parcels (an ARIA 1.2 combobox over /{t}/search),
// and the property card from /{t}/locate (plans, zones with shares and parameters, POG, waste dates).
// Text from the API only ever reaches the page as text nodes (el() below), never as HTML.
(function () {
  'use strict';
  const tenant = document.body.dataset.tenant;
  const base = '/' + encodeURIComponent(tenant);
  const $ = id => document.getElementById(id);
  const reducedMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  const card = $('card'), body = $('card-body'), title = $('card-title'), hint = $('card-hint'), skip = $('skip-card');
  const q = $('q'), list = $('results'), dropdown = $('dropdown'), none = $('no-results'), status = $('search-status');

  // styles/plan.json as it is: its glyphs URL (/fonts/{fontstack}/{range}.pbf) is served by odra with
  // SDF glyphs of the DejaVu fonts, so the symbol layers (zone symbols, street names, parcel numbers) stay.
  const map = new maplibregl.Map({
    container: 'map',
    style: '/styles/plan.json?tenant=' + encodeURIComponent(tenant),
    center: [14.561, 52.35],
    zoom: 13,
    hash: true,
    locale: {
      'Map.Title': 'Mapa',
      'NavigationControl.ZoomIn': 'Przybliż',
      'NavigationControl.ZoomOut': 'Oddal',
      'NavigationControl.ResetBearing': 'Przeciągnij, aby obrócić mapę; kliknij, aby ustawić północ u góry',
      'AttributionControl.ToggleAttribution': 'Pokaż lub ukryj źródła danych',
      'AttributionControl.MapFeedback': 'Uwagi o mapie',
      'LogoControl.Title': 'Logo MapLibre',
    },
  });
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }));
  window.odraMap = map; // for tests

  // Fit the gmina once the tileset says where it is.
  fetch(base + '/tiles/plan.json').then(r => r.json()).then(tj => {
    if (!location.hash && tj.bounds) map.fitBounds([[tj.bounds[0], tj.bounds[1]], [tj.bounds[2], tj.bounds[3]]], { duration: 0 });
  }).catch(() => {});

  // Layer switches: every style layer whose metadata odra:group is listed on the checkbox.
  function applySwitches() {
    const style = map.getStyle();
    if (!style || !style.layers) return;
    document.querySelectorAll('#layers input').forEach(cb => {
      const groups = cb.dataset.groups.split(',');
      style.layers.forEach(l => {
        const g = l.metadata && l.metadata['odra:group'];
        if (g && groups.includes(g)) map.setLayoutProperty(l.id, 'visibility', cb.checked ? 'visible' : 'none');
      });
    });
  }
  document.querySelectorAll('#layers input').forEach(cb => cb.addEventListener('change', applySwitches));
  map.on('styledata', applySwitches);

  // The outline of the parcel on the card.
  const EMPTY = { type: 'FeatureCollection', features: [] };
  map.on('load', () => {
    map.addSource('odra-selection', { type: 'geojson', data: EMPTY });
    map.addLayer({ id: 'odra-selection', type: 'line', source: 'odra-selection',
      paint: { 'line-color': '#d7261e', 'line-width': 3 } });
  });
  function select(feature) {
    const src = map.getSource('odra-selection');
    if (src) src.setData(feature && feature.geometry ? feature : EMPTY);
  }

  // ---- Polish text and numbers ----
  const nf = digits => new Intl.NumberFormat('pl-PL', { maximumFractionDigits: digits });
  const n0 = nf(0), n1 = nf(1), n2 = nf(2), n4 = nf(4);
  const area = m2 => (m2 >= 10 ? n0 : n2).format(m2) + ' m²';
  const pct = v => (v >= 99.95 ? '100' : v > 0 && v < 0.05 ? '<0,1' : n1.format(v)) + '%';
  function date(iso, weekday) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
    if (!m) return iso || '';
    const d = new Date(+m[1], +m[2] - 1, +m[3]);
    const opts = { day: 'numeric', month: 'long', year: 'numeric' };
    if (weekday) opts.weekday = 'short';
    return new Intl.DateTimeFormat('pl-PL', opts).format(d) + ' r.';
  }
  function plural(n, one, few, many) {
    if (n === 1) return one;
    const d = n % 10, h = n % 100;
    return d >= 2 && d <= 4 && (h < 12 || h > 14) ? few : many;
  }

  // Key parameters of a zone, in the order a planner reads them; unknown ones follow by their own name.
  const PARAMS = [
    ['max_height_m', 'Maksymalna wysokość zabudowy', v => n1.format(v) + ' m'],
    ['max_storeys', 'Maksymalna liczba kondygnacji nadziemnych', v => n0.format(v)],
    ['min_intensity', 'Minimalna intensywność zabudowy', v => n2.format(v)],
    ['max_intensity', 'Maksymalna intensywność zabudowy', v => n2.format(v)],
    ['max_coverage_pct', 'Maksymalna powierzchnia zabudowy', v => n1.format(v) + '%'],
    ['min_bio_pct', 'Minimalny udział powierzchni biologicznie czynnej', v => n1.format(v) + '%'],
    ['min_parcel_area_m2', 'Minimalna powierzchnia nowo wydzielanej działki', v => n0.format(v) + ' m²'],
    ['roof', 'Dachy', v => String(v)],
  ];

  // A DOM element: attributes as given, children as nodes or text (never parsed as HTML).
  function el(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') n.className = v;
      else n.setAttribute(k, v === true ? '' : String(v));
    }
    for (const k of kids.flat()) if (k != null && k !== false && k !== '') n.append(k instanceof Node ? k : String(k));
    return n;
  }
  // Links the API gives are paths on this server; anything else is dropped.
  const localHref = h => (typeof h === 'string' && /^\/[^/\\]/.test(h) ? h : null);

  function facts(rows) {
    const dl = el('dl', { class: 'facts' });
    rows.forEach(([k, v]) => { if (v != null && v !== '') dl.append(el('dt', null, k), el('dd', null, v)); });
    return dl;
  }

  function paramList(params) {
    const keys = Object.keys(params || {});
    if (!keys.length) return null;
    const known = PARAMS.filter(p => keys.includes(p[0]));
    const rest = keys.filter(k => !PARAMS.some(p => p[0] === k));
    const rows = known.map(([k, label, f]) => [label, f(params[k])]).concat(rest.map(k => [k, String(params[k])]));
    return el('dl', { class: 'facts params' },
      rows.map(([k, v]) => el('div', { class: v.length > 24 ? 'long' : null }, el('dt', null, k), el('dd', null, v))));
  }

  function zoneItem(z) {
    return el('li', { class: 'zone', 'data-label': z.label, 'data-kind': z.kind },
      el('p', { class: 'zone-head' }, el('strong', { class: 'zone-label' }, z.label || z.symbol || ''), ' ',
        el('span', { class: 'zone-name' }, z.name || '')),
      el('p', { class: 'zone-area' }, el('span', { class: 'zone-share' }, pct(z.share_pct)), ' działki',
        z.area_m2 != null ? ' (' + area(z.area_m2) + ')' : ''),
      paramList(z.parameters));
  }

  function planBlock(pl, zones) {
    const act = [pl.resolution, pl.publication].filter(Boolean);
    const mine = zones.filter(z => z.plan && z.plan.id === pl.id);
    const main = mine.filter(z => z.kind !== 'overlay'), overlays = mine.filter(z => z.kind === 'overlay');
    return el('article', { class: 'plan', 'data-plan': pl.id },
      el('h4', null, pl.title || 'Plan bez tytułu'),
      act.length ? el('p', { class: 'act' }, act.join('; ')) : null,
      el('p', { class: 'plan-status' }, [pl.status, pl.valid_from ? 'od ' + date(pl.valid_from) : null,
        pl.share_pct != null && pl.share_pct < 99.95 ? 'obejmuje ' + pct(pl.share_pct) + ' działki' : null].filter(Boolean).join(', ')),
      main.length ? el('ul', { class: 'zones' }, main.map(zoneItem)) : null,
      overlays.length ? [el('h5', null, 'Strefy i obszary'), el('ul', { class: 'zones overlays' }, overlays.map(zoneItem))] : null);
  }

  function wasteBlock(w) {
    const next = (w.next || []).slice().sort((a, b) => String(a.date).localeCompare(String(b.date)));
    const links = w.links || {};
    return el('section', { class: 'service', 'aria-labelledby': 'waste-title' },
      el('h3', { id: 'waste-title' }, w.title || 'Odpady komunalne'),
      w.zone ? el('p', null, w.zone.name || w.zone.code) : null,
      next.length ? el('table', { class: 'waste' },
        el('caption', null, 'Najbliższe odbiory'),
        el('thead', null, el('tr', null, el('th', { scope: 'col' }, 'Frakcja'), el('th', { scope: 'col' }, 'Termin'))),
        el('tbody', null, next.map(d => el('tr', null, el('td', null, d.name || d.fraction), el('td', null, date(d.date, true))))))
        : el('p', { class: 'hint' }, 'Brak zaplanowanych odbiorów.'),
      localHref(links.schedule) || localHref(links.ics) ? el('p', { class: 'links' },
        localHref(links.schedule) ? el('a', { href: localHref(links.schedule) }, 'Pełny harmonogram') : null,
        localHref(links.schedule) && localHref(links.ics) ? ' · ' : null,
        localHref(links.ics) ? el('a', { href: localHref(links.ics) }, 'Kalendarz (.ics)') : null) : null);
  }

  function renderCard(j) {
    const pf = j.parcel || null, p = (pf && pf.properties) || {};
    const a = j.address && (j.address.properties || j.address);
    const plans = j.plans || [], zones = j.zones || [];
    title.textContent = p.number ? 'Działka ' + p.number + (p.obreb ? ', obręb ' + p.obreb.name : '') : 'Informacja o terenie';
    const out = [];
    out.push(facts([
      ['Identyfikator', p.id],
      ['Obręb', p.obreb ? [p.obreb.number, p.obreb.name].filter(Boolean).join(' ') : null],
      ['Powierzchnia', p.area_m2 != null ? area(p.area_m2) + ' (' + n4.format(p.area_m2 / 10000) + ' ha)' : null],
      ['Użytek', p.land_use],
      ['Adres', a ? a.label : null],
    ]));
    const mpzp = plans.filter(pl => pl.kind === 'mpzp'), pog = plans.filter(pl => pl.kind === 'pog');
    out.push(el('h3', null, 'Przeznaczenie terenu'));
    if (mpzp.length) mpzp.forEach(pl => out.push(planBlock(pl, zones)));
    else out.push(el('p', { class: 'hint' }, 'Teren nie jest objęty miejscowym planem zagospodarowania przestrzennego.'));
    out.push(el('h3', null, 'Plan ogólny gminy'));
    if (pog.length) pog.forEach(pl => out.push(planBlock(pl, zones)));
    else out.push(el('p', { class: 'hint' }, 'Brak planu ogólnego w tym miejscu.'));
    const services = j.services || {};
    if (services.waste) out.push(wasteBlock(services.waste));
    body.replaceChildren(...out);
    select(pf);
  }

  // ---- the card ----
  let cardSeq = 0;

  function showCard() {
    card.hidden = false;
    hint.hidden = true;
    skip.hidden = false;
  }

  function closeCard() {
    cardSeq++;
    card.hidden = true;
    hint.hidden = false;
    skip.hidden = true;
    body.replaceChildren();
    select(null);
    q.focus();
  }

  function cardError(r, j) {
    const other = j && typeof j.tenant === 'string' && /^[a-z0-9-]+$/.test(j.tenant) ? j.tenant : null;
    title.textContent = 'Informacja o terenie';
    if (r && r.status === 404)
      body.replaceChildren(el('p', { class: 'error' }, other
        ? 'To miejsce leży w innej gminie.' : 'Nie znaleziono tu działki ewidencyjnej.'),
      other ? el('p', null, el('a', { href: '/' + other + '/map' + location.hash }, 'Przejdź do mapy tamtej gminy')) : null);
    else
      body.replaceChildren(el('p', { class: 'error' }, 'Nie udało się pobrać informacji o tym miejscu' +
        (r ? ' (błąd ' + r.status + ').' : '.')));
  }

  // Shows the /locate card for query ("parcel=…", "address=…" or "lon=…&lat=…"); focus moves to the card
  // when it was asked for from the keyboard.
  async function openCard(query, focus) {
    const my = ++cardSeq;
    showCard();
    card.setAttribute('aria-busy', 'true');
    title.textContent = 'Informacja o terenie';
    body.replaceChildren(el('p', { class: 'hint' }, 'Wczytywanie…'));
    if (focus) card.focus();
    let r = null, j = null;
    try {
      r = await fetch(base + '/locate?' + query);
      j = await r.json();
    } catch (e) { /* shown below */ }
    if (my !== cardSeq) return;
    if (r && r.ok && j) renderCard(j);
    else cardError(r, j);
    card.removeAttribute('aria-busy');
    // again, so that the loaded card is read out, unless the user has moved on meanwhile
    if (focus && (document.activeElement === card || document.activeElement === document.body)) card.focus();
  }

  $('card-close').addEventListener('click', closeCard);
  card.addEventListener('keydown', ev => {
    if (ev.key === 'Escape') { ev.preventDefault(); closeCard(); }
  });

  map.on('click', e => {
    openCard('lon=' + e.lngLat.lng.toFixed(7) + '&lat=' + e.lngLat.lat.toFixed(7), false);
  });

  // ---- search: one box, an ARIA combobox over /{t}/search ----
  let items = [], active = -1, searchSeq = 0, timer = 0, lastText = null;

  function setOpen(open) {
    dropdown.hidden = !open;
    q.setAttribute('aria-expanded', open && items.length ? 'true' : 'false');
    if (!open) setActive(-1);
  }

  function setActive(i) {
    active = i;
    Array.from(list.children).forEach((li, k) => li.setAttribute('aria-selected', k === i ? 'true' : 'false'));
    if (i >= 0 && list.children[i]) {
      q.setAttribute('aria-activedescendant', list.children[i].id);
      list.children[i].scrollIntoView({ block: 'nearest' });
    } else {
      q.removeAttribute('aria-activedescendant');
    }
  }

  function render(features) {
    items = features;
    list.replaceChildren(...features.map((f, k) => {
      const p = f.properties || {};
      const parcel = p.kind === 'parcel';
      const li = el('li', { id: 'result-' + k, role: 'option', 'aria-selected': 'false', class: parcel ? 'parcel' : 'address' },
        el('span', { class: 'kind' }, parcel ? 'Działka' : 'Adres'), ' ',
        el('span', { class: 'label' }, p.label || ''),
        parcel ? el('span', { class: 'sub' }, p.parcel_id) : null);
      li.addEventListener('mousedown', ev => ev.preventDefault()); // keep focus in the box
      li.addEventListener('click', () => choose(k, false));
      return li;
    }));
    none.hidden = features.length > 0;
    status.textContent = features.length
      ? features.length + ' ' + plural(features.length, 'wynik', 'wyniki', 'wyników') + '.'
      : 'Nie znaleziono adresu ani działki.';
    setOpen(true);
    setActive(-1);
  }

  async function search(text) {
    clearTimeout(timer);
    if (!text) { items = []; lastText = null; setOpen(false); status.textContent = ''; return; }
    if (text === lastText) { setOpen(true); return; }
    const my = ++searchSeq;
    let r = null, j = null;
    try {
      r = await fetch(base + '/search?limit=30&q=' + encodeURIComponent(text));
      j = await r.json();
    } catch (e) { /* below */ }
    if (my !== searchSeq) return;
    lastText = text;
    if (r && r.ok && j) {
      render(j.features || []);
    } else {
      items = [];
      list.replaceChildren();
      none.hidden = true;
      setOpen(false);
      status.textContent = r && r.status === 400 ? 'Tego nie da się wyszukać: wpisz adres albo numer działki.'
        : 'Wyszukiwanie nie powiodło się.';
    }
  }

  function choose(k, keyboard) {
    const f = items[k];
    if (!f) return;
    const p = f.properties || {};
    setOpen(false);
    q.value = p.label || '';
    lastText = q.value.trim();
    const duration = reducedMotion ? 0 : 600;
    if (f.bbox) map.fitBounds([[f.bbox[0], f.bbox[1]], [f.bbox[2], f.bbox[3]]], { padding: 80, maxZoom: 18, duration });
    else if (f.geometry && f.geometry.coordinates) map.easeTo({ center: f.geometry.coordinates, zoom: 17, duration });
    openCard(p.kind === 'parcel' ? 'parcel=' + encodeURIComponent(p.parcel_id)
      : 'address=' + encodeURIComponent(p.label), keyboard);
  }

  q.addEventListener('input', () => {
    clearTimeout(timer);
    const text = q.value.trim();
    if (!text) { search(''); return; }
    timer = setTimeout(() => search(text), 250);
  });

  q.addEventListener('keydown', ev => {
    const open = !dropdown.hidden && items.length > 0;
    switch (ev.key) {
      case 'ArrowDown':
        ev.preventDefault();
        if (!open) { if (items.length) { setOpen(true); setActive(0); } else search(q.value.trim()); }
        else setActive(active + 1 >= items.length ? 0 : active + 1);
        break;
      case 'ArrowUp':
        ev.preventDefault();
        if (!open) { if (items.length) { setOpen(true); setActive(items.length - 1); } }
        else setActive(active <= 0 ? items.length - 1 : active - 1);
        break;
      case 'Enter':
        ev.preventDefault();
        if (open && active >= 0) choose(active, true);
        else search(q.value.trim());
        break;
      case 'Escape':
        if (!dropdown.hidden) { ev.preventDefault(); setOpen(false); }
        else if (q.value) { ev.preventDefault(); q.value = ''; search(''); }
        break;
      default:
        break;
    }
  });

  $('search').addEventListener('submit', ev => { ev.preventDefault(); search(q.value.trim()); });
  $('search').addEventListener('focusout', ev => {
    if (!ev.relatedTarget || !$('search').contains(ev.relatedTarget)) setOpen(false);
  });
})();
