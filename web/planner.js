// The planners' pages (services/web_planner.c): the planner's map (/{t}/planner) and the copy buttons of the
// QGIS page. The map: the plan style over odra's vector tiles, layer switches (the style's odra:group
// metadata, and the module tilesets the server lists), a date slider (the tiles are asked again with
// ?date=), identify (/locate), measuring length and area on the PL-1992 plane, search (/search) and a
// link that prints the current view. Every text comes from the page (data-msg-*), so English pages speak
// English; text from the API only ever reaches the page as text nodes.
(function () {
  'use strict';
  const $ = id => document.getElementById(id);

  // ---- the QGIS page: copy buttons (the addresses are visible text anyway) ----
  const copyStatus = $('copy-status');
  if (copyStatus) {
    document.querySelectorAll('button.copy').forEach(b => {
      b.hidden = false;
      b.addEventListener('click', () => {
        const text = $(b.dataset.copy).textContent;
        const ok = () => { copyStatus.textContent = copyStatus.dataset.msgCopied; };
        const fail = () => { copyStatus.textContent = copyStatus.dataset.msgFailed; };
        if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(ok, fail);
        else fail();
      });
    });
  }

  const root = $('planner');
  if (!root || !window.maplibregl) return;
  const tenant = root.dataset.tenant;
  const base = '/' + encodeURIComponent(tenant);
  const lang = root.dataset.lang === 'en' ? 'en-GB' : 'pl-PL';
  const msg = (name, ...args) => (root.dataset['msg' + name] || '').replace(/\{(\d)\}/g, (m, i) => args[+i] != null ? args[+i] : '');
  const el = (tag, text, cls) => { const n = document.createElement(tag); if (text != null) n.textContent = text; if (cls) n.className = cls; return n; };
  const nf = d => new Intl.NumberFormat(lang, { maximumFractionDigits: d });

  const b = (root.dataset.bounds || '').split(',').map(Number);
  const map = new maplibregl.Map({
    container: 'map',
    style: '/styles/plan.json?tenant=' + encodeURIComponent(tenant),
    bounds: b.length === 4 && b.every(isFinite) ? [[b[0], b[1]], [b[2], b[3]]] : undefined,
    center: [14.561, 52.35],
    zoom: 13,
  });
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }));
  window.odraPlannerMap = map; // for tests

  // ---- the date: the slider counts days from data-date-min ----
  const slider = $('date-slider'), dateIn = $('date'), dateOut = $('date-out');
  const day0 = Date.parse(root.dataset.dateMin + 'T00:00:00Z');
  const iso = i => new Date(day0 + i * 86400000).toISOString().slice(0, 10);
  const index = d => Math.round((Date.parse(d + 'T00:00:00Z') - day0) / 86400000);
  let date = dateIn.value, dateTimer = 0;

  function tilesFor(d) {
    const style = map.getStyle();
    const src = style && style.sources && style.sources.odra;
    if (!src || !src.tiles) return;
    const url = src.tiles[0].replace(/\?.*$/, '') + '?date=' + d;
    if (src.tiles[0] !== url) map.getSource('odra').setTiles([url]);
  }
  function setDate(d, from) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || isNaN(index(d))) return;
    date = d;
    if (from !== 'slider') slider.value = String(index(d));
    if (from !== 'input') dateIn.value = d;
    slider.setAttribute('aria-valuetext', d);
    dateOut.textContent = msg('Date', d);
    clearTimeout(dateTimer);
    dateTimer = setTimeout(() => { tilesFor(d); updatePrint(); }, 150);
  }
  slider.addEventListener('input', () => setDate(iso(+slider.value), 'slider'));
  dateIn.addEventListener('change', () => setDate(dateIn.value, 'input'));
  window.odraPlannerDate = () => date; // for tests

  // ---- layers ----
  function applySwitches() {
    const style = map.getStyle();
    if (!style || !style.layers) return;
    document.querySelectorAll('#layers input[data-groups]').forEach(cb => {
      const groups = cb.dataset.groups.split(',');
      style.layers.forEach(l => {
        const g = l.metadata && l.metadata['odra:group'];
        if (g && groups.includes(g)) map.setLayoutProperty(l.id, 'visibility', cb.checked ? 'visible' : 'none');
      });
    });
  }
  document.querySelectorAll('#layers input[data-groups]').forEach(cb => cb.addEventListener('change', applySwitches));
  map.on('styledata', applySwitches);
  map.on('load', () => { if (date) tilesFor(date); });

  // Module layers: the tileset's TileJSON gives its tiles and source layers; polygons, lines and points each
  // get a layer, in one colour per tileset.
  const COLORS = ['#b3261e', '#1f5fa8', '#6b3fa0', '#00796b', '#8a5a00'];
  async function moduleLayer(cb, k) {
    const id = cb.dataset.tileset, sid = 'module-' + id;
    if (!map.getSource(sid)) {
      if (!cb.checked) return;
      let tj;
      try { tj = await (await fetch(base + '/tiles/' + encodeURIComponent(id) + '.json')).json(); } catch (e) { return; }
      if (map.getSource(sid)) return;
      map.addSource(sid, { type: 'vector', tiles: tj.tiles, minzoom: tj.minzoom || 0, maxzoom: Math.min(tj.maxzoom || 16, 16) });
      const color = COLORS[k % COLORS.length];
      (tj.vector_layers || []).forEach(vl => {
        const common = { source: sid, 'source-layer': vl.id };
        map.addLayer({ id: sid + '-' + vl.id + '-fill', type: 'fill', ...common, filter: ['==', ['geometry-type'], 'Polygon'],
          paint: { 'fill-color': color, 'fill-opacity': 0.18 } });
        map.addLayer({ id: sid + '-' + vl.id + '-line', type: 'line', ...common, filter: ['!=', ['geometry-type'], 'Point'],
          paint: { 'line-color': color, 'line-width': 1.5 } });
        map.addLayer({ id: sid + '-' + vl.id + '-point', type: 'circle', ...common, filter: ['==', ['geometry-type'], 'Point'],
          paint: { 'circle-color': color, 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
      });
    }
    map.getStyle().layers.filter(l => l.source === sid)
      .forEach(l => map.setLayoutProperty(l.id, 'visibility', cb.checked ? 'visible' : 'none'));
  }
  document.querySelectorAll('#layers input[data-tileset]').forEach((cb, k) =>
    cb.addEventListener('change', () => moduleLayer(cb, k)));

  // ---- identify: /locate at a point, as a list in a live region ----
  const idOut = $('identify-out');
  let idSeq = 0;
  function item(label, text) {
    const li = el('li');
    li.append(el('strong', label + ': '), text);
    return li;
  }
  async function identify(ll) {
    const my = ++idSeq;
    idOut.replaceChildren(el('li', msg('Loading')));
    let r = null, j = null;
    try {
      r = await fetch(base + '/locate?lon=' + ll.lng.toFixed(7) + '&lat=' + ll.lat.toFixed(7) + '&date=' + encodeURIComponent(date));
      j = await r.json();
    } catch (e) { /* below */ }
    if (my !== idSeq) return;
    if (!r || !r.ok || !j) {
      idOut.replaceChildren(el('li', r && r.status === 404 ? (j && j.tenant ? msg('Outside') : msg('None')) : msg('Error')));
      return;
    }
    const out = [];
    const p = (j.parcel && j.parcel.properties) || {};
    if (p.id) out.push(item(msg('Parcel'), p.number + (p.obreb ? ', ' + p.obreb.name : '') + ' (' + p.id + ')'));
    (j.plans || []).forEach(pl => out.push(item(msg('Plan'), (pl.title || '') + (pl.status ? ' — ' + pl.status : ''))));
    (j.zones || []).forEach(z => out.push(item(z.plan && z.plan.kind === 'pog' ? msg('Pog') : msg('Zone'),
      [z.label || z.symbol, z.name].filter(Boolean).join(' — '))));
    idOut.replaceChildren(...(out.length ? out : [el('li', msg('None'))]));
  }
  $('tool-identify').addEventListener('click', () => identify(map.getCenter()));

  // ---- measuring on the PL-1992 plane ----
  // EPSG:2180: transverse Mercator on GRS 80, central meridian 19°E, k0 0.9993, false easting 500 000 m,
  // false northing -5 300 000 m (Krüger's series to n^3, well under a millimetre here).
  function to2180(lon, lat) {
    const a = 6378137, f = 1 / 298.257222101, k0 = 0.9993, n = f / (2 - f), e = Math.sqrt(f * (2 - f));
    const A = a / (1 + n) * (1 + n * n / 4 + n ** 4 / 64);
    const al = [n / 2 - 2 * n * n / 3 + 5 * n ** 3 / 16, 13 * n * n / 48 - 3 * n ** 3 / 5, 61 * n ** 3 / 240];
    const phi = lat * Math.PI / 180, lam = (lon - 19) * Math.PI / 180;
    const t = Math.sinh(Math.atanh(Math.sin(phi)) - e * Math.atanh(e * Math.sin(phi)));
    const xi = Math.atan2(t, Math.cos(lam)), eta = Math.atanh(Math.sin(lam) / Math.sqrt(1 + t * t));
    let x = xi, y = eta;
    for (let j = 1; j <= 3; j++) {
      x += al[j - 1] * Math.sin(2 * j * xi) * Math.cosh(2 * j * eta);
      y += al[j - 1] * Math.cos(2 * j * xi) * Math.sinh(2 * j * eta);
    }
    return [500000 + k0 * A * y, -5300000 + k0 * A * x];
  }
  window.odraTo2180 = to2180; // for tests
  const mOut = $('measure-out'), bLen = $('tool-length'), bArea = $('tool-area');
  let mode = null, pts = [];
  const EMPTY = { type: 'FeatureCollection', features: [] };
  map.on('load', () => {
    map.addSource('measure', { type: 'geojson', data: EMPTY });
    map.addLayer({ id: 'measure-fill', type: 'fill', source: 'measure', filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': '#d7261e', 'fill-opacity': 0.15 } });
    map.addLayer({ id: 'measure-line', type: 'line', source: 'measure', filter: ['!=', ['geometry-type'], 'Point'],
      paint: { 'line-color': '#d7261e', 'line-width': 2.5 } });
    map.addLayer({ id: 'measure-point', type: 'circle', source: 'measure', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-color': '#d7261e', 'circle-radius': 4 } });
  });
  const len = m => m >= 1000 ? nf(3).format(m / 1000) + ' km' : nf(2).format(m) + ' m';
  const area = m2 => m2 >= 10000 ? nf(4).format(m2 / 10000) + ' ha' : nf(1).format(m2) + ' m²';
  function measure() {
    const xy = pts.map(p => to2180(p[0], p[1]));
    let l = 0;
    for (let i = 1; i < xy.length; i++) l += Math.hypot(xy[i][0] - xy[i - 1][0], xy[i][1] - xy[i - 1][1]);
    const feats = pts.map(p => ({ type: 'Feature', geometry: { type: 'Point', coordinates: p } }));
    if (mode === 'area' && pts.length >= 3) {
      let s = 0;
      for (let i = 0; i < xy.length; i++) {
        const [x1, y1] = xy[i], [x2, y2] = xy[(i + 1) % xy.length];
        s += x1 * y2 - x2 * y1;
      }
      const per = l + Math.hypot(xy[0][0] - xy[xy.length - 1][0], xy[0][1] - xy[xy.length - 1][1]);
      feats.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [[...pts, pts[0]]] } });
      mOut.textContent = msg('Area', area(Math.abs(s) / 2), len(per));
    } else if (mode === 'length' && pts.length >= 2) {
      feats.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: pts } });
      mOut.textContent = msg('Length', len(l));
    } else {
      mOut.textContent = mode ? msg('Points', pts.length) : '';
    }
    const src = map.getSource('measure');
    if (src) src.setData({ type: 'FeatureCollection', features: feats });
  }
  function setMode(m) {
    mode = mode === m ? null : m;
    pts = [];
    bLen.setAttribute('aria-pressed', String(mode === 'length'));
    bArea.setAttribute('aria-pressed', String(mode === 'area'));
    measure();
  }
  bLen.addEventListener('click', () => setMode('length'));
  bArea.addEventListener('click', () => setMode('area'));
  $('tool-point').addEventListener('click', () => {
    if (!mode) setMode('length');
    const c = map.getCenter();
    pts.push([c.lng, c.lat]);
    measure();
  });
  $('tool-clear').addEventListener('click', () => { pts = []; measure(); });
  map.on('click', e => {
    if (mode) { pts.push([e.lngLat.lng, e.lngLat.lat]); measure(); } else identify(e.lngLat);
  });

  // ---- search over /search ----
  const sOut = $('psearch-out');
  $('psearch').addEventListener('submit', async ev => {
    ev.preventDefault();
    const q = $('psearch-q').value.trim();
    if (!q) return;
    let j = null;
    try {
      const r = await fetch(base + '/search?limit=10&q=' + encodeURIComponent(q));
      j = r.ok ? await r.json() : null;
    } catch (e) { /* below */ }
    if (!j) { sOut.replaceChildren(el('li', msg('Error'))); return; }
    const fs = j.features || [];
    sOut.replaceChildren(el('li', msg('Found', fs.length), 'sr-only'), ...fs.map(f => {
      const li = el('li'), btn = el('button', (f.properties && f.properties.label) || '', 'linklike');
      btn.type = 'button';
      btn.addEventListener('click', () => {
        if (f.bbox) map.fitBounds([[f.bbox[0], f.bbox[1]], [f.bbox[2], f.bbox[3]]], { padding: 60, maxZoom: 18, duration: 0 });
        else if (f.geometry) map.jumpTo({ center: f.geometry.coordinates, zoom: 17 });
        identify(map.getCenter());
      });
      li.append(btn);
      return li;
    }));
  });

  // ---- the print link: this view's centre and date ----
  const printLink = $('print-link'), printBase = printLink.getAttribute('href');
  function updatePrint() {
    const c = map.getCenter();
    printLink.href = printBase + '?center=' + c.lng.toFixed(6) + ',' + c.lat.toFixed(6) + '&crs=CRS:84&date=' + date;
  }
  map.on('moveend', updatePrint);
})();
