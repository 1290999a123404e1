// The planner's map page: the plan style over odra's vector tiles, layer switches by the style's
// odra:group metadata, a click that shows the /locate card, and address search through /geocode.
(function () {
  'use strict';
  const tenant = document.body.dataset.tenant;
  // styles/plan.json as it is: its glyphs URL (/fonts/{fontstack}/{range}.pbf) is served by odra with
  // SDF glyphs of the DejaVu fonts, so the symbol layers (zone symbols, street names, parcel numbers) stay.
  const map = new maplibregl.Map({
    container: 'map',
    style: '/styles/plan.json?tenant=' + encodeURIComponent(tenant),
    center: [14.561, 52.35],
    zoom: 13,
    hash: true,
  });
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }));
  window.odraMap = map; // for tests

  // Fit the gmina once the tileset says where it is.
  fetch('/' + tenant + '/tiles/plan.json').then(r => r.json()).then(tj => {
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

  const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const card = document.getElementById('card');

  function row(k, v) { return v == null || v === '' ? '' : '<tr><td>' + esc(k) + '</td><td>' + esc(v) + '</td></tr>'; }

  function showCard(j) {
    const p = j.parcel || {};
    const pp = p.properties || p;
    let html = '<h2>Działka</h2><table>' + row('Identyfikator', pp.id || pp.parcel_id) +
      row('Obręb', (pp.obreb && (pp.obreb.name || pp.obreb.number)) || pp.obreb_name) + row('Numer', pp.number) +
      row('Powierzchnia [m²]', pp.area_m2 != null ? Math.round(pp.area_m2) : null) + '</table>';
    if (j.address) {
      const a = j.address.properties || j.address;
      html += '<h2>Adres</h2><p>' + esc(a.label || [a.street, a.number, a.locality].filter(Boolean).join(' ')) + '</p>';
    }
    const zones = j.zones || (j.plans || []).flatMap(pl => pl.zones || []);
    if (zones.length) {
      html += '<h2>Przeznaczenie terenu</h2><table>';
      zones.forEach(z => { html += row((z.label || z.symbol || '') + ' ' + (z.name || ''), z.share != null ? Math.round(z.share * 100) + '%' : ''); });
      html += '</table>';
    } else {
      html += '<p class="hint">Brak planu miejscowego w tym miejscu.</p>';
    }
    card.innerHTML = html;
  }

  map.on('click', e => {
    card.innerHTML = '<p class="hint">Wczytywanie…</p>';
    fetch('/' + tenant + '/locate?lon=' + e.lngLat.lng.toFixed(7) + '&lat=' + e.lngLat.lat.toFixed(7))
      .then(r => r.json().then(j => ({ ok: r.ok, j })))
      .then(({ ok, j }) => { if (ok) showCard(j); else card.innerHTML = '<p class="error">' + esc(j.description || 'Błąd') + '</p>'; })
      .catch(() => { card.innerHTML = '<p class="error">Nie udało się pobrać informacji o tym miejscu.</p>'; });
  });

  // Address search.
  const results = document.getElementById('results');
  document.getElementById('search').addEventListener('submit', ev => {
    ev.preventDefault();
    const q = document.getElementById('q').value.trim();
    if (!q) return;
    fetch('/' + tenant + '/geocode?limit=8&q=' + encodeURIComponent(q)).then(r => r.json()).then(fc => {
      results.innerHTML = '';
      (fc.features || []).forEach(f => {
        const li = document.createElement('li');
        li.tabIndex = 0;
        const p = f.properties || {};
        li.textContent = p.label || [p.street, p.number, p.locality].filter(Boolean).join(' ');
        li.addEventListener('click', () => {
          results.innerHTML = '';
          map.jumpTo({ center: f.geometry.coordinates, zoom: 17 });
        });
        results.appendChild(li);
      });
      if (!results.children.length) results.innerHTML = '<li>Nie znaleziono adresu.</li>';
    });
  });
})();
