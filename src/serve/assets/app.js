// app.js — the script of the page of rcc serve: polls GET /v1/page (the model, the counters, each
// cluster's examples) and draws the cluster cards, fetches the example thumbnails by id, sends
// dropped or picked images to POST /v1/assign and shows each answer, and draws a followed run's
// drift records (GET /v1/drift). With a server token, every call carries it; the token is asked
// for once and kept in sessionStorage (this tab only). Text from outside (file names, errors)
// only ever reaches the page through textContent, never as markup.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';
  const TOKEN_KEY = 'rcc-serve-token';
  const POLL_MS = 3000;
  let token = sessionStorage.getItem(TOKEN_KEY) || '';
  const thumbs = new Map(); // example id -> object URL of its PNG
  let timer = null;
  let hit = -1; // the cluster of the last image assigned here

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // the colours librcc_plot gives clusters in the pictures (Matplotlib's tab10), golden-angle hues beyond
  const TAB10 = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  function hue(c) { return c < 10 ? TAB10[c] : 'hsl(' + Math.round((c * 137.50776) % 360) + ',65%,' + (Math.floor(c / 10) % 2 ? 45 : 58) + '%)'; }

  class TokenNeeded extends Error {}
  async function api(path, opts) {
    const o = Object.assign({ cache: 'no-store' }, opts || {});
    o.headers = Object.assign({}, o.headers || {});
    if (token) o.headers['Authorization'] = 'Bearer ' + token;
    const r = await fetch(path, o);
    if (r.status === 401) {
      askToken(token ? 'The server refused that token.' : '');
      throw new TokenNeeded();
    }
    return r;
  }

  function askToken(message) {
    clearTimeout(timer);
    $('live').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message;
    $('model').textContent = 'this server needs its token';
    $('token').focus();
  }
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('token').value.trim();
    sessionStorage.setItem(TOKEN_KEY, token);
    $('login').hidden = true;
    refresh();
  });

  function stat(value, what) {
    const d = el('div', 'stat');
    d.append(el('b', null, value), el('span', null, what));
    return d;
  }
  function duration(s) {
    if (s < 120) return Math.round(s) + ' s';
    if (s < 7200) return Math.round(s / 60) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }

  function thumb(ex) {
    const f = el('figure', 't');
    const img = el('img');
    img.alt = 'example ' + ex.id;
    img.title = 'confidence ' + ex.confidence.toFixed(3) + ', ' + duration(ex.age_s) + ' ago';
    f.append(img, el('figcaption', null, ex.confidence.toFixed(3)));
    if (thumbs.has(ex.id)) {
      img.src = thumbs.get(ex.id);
    } else {
      api('/v1/examples/' + ex.id).then((r) => (r.ok ? r.blob() : null)).then((b) => {
        if (!b) return;
        const u = URL.createObjectURL(b);
        thumbs.set(ex.id, u);
        img.src = u;
      }).catch(() => {});
    }
    return f;
  }

  function render(s) {
    const m = s.model;
    const loaded = new Date(m.loaded_at_unix * 1000);
    $('model').textContent = 'model at step ' + m.step + ', loaded ' + loaded.toLocaleString() + ' · ' +
      m.clusters + ' clusters · ' + m.image_size + '×' + m.image_size + ' ' + (m.channels === 1 ? 'gray' : 'colour') +
      ' · ' + m.digest;
    const c = s.counters;
    $('counters').replaceChildren(stat(String(c.images), 'images assigned'), stat(String(c.assign_requests), 'assign requests'),
      stat(String(c.reloads), 'checkpoints swapped in'), stat(duration(c.uptime_s), 'up'));
    const seen = new Set();
    const cards = s.clusters.map((cl) => {
      const card = el('article', 'card' + (cl.cluster === hit ? ' hit' : ''));
      card.id = 'cluster-' + cl.cluster;
      card.style.setProperty('--c', hue(cl.cluster));
      card.append(el('h3', null, 'Cluster ' + cl.cluster),
        el('p', 'note', cl.images + ' images since the model was loaded (' + cl.images_total + ' since the server started)'));
      if (!cl.recent.length && !cl.confident.length) {
        card.append(el('p', 'note', 'No image yet.'));
        return card;
      }
      for (const [title, list] of [['Most recent', cl.recent], ['Most confident', cl.confident]]) {
        card.append(el('h4', null, title));
        const row = el('div', 'thumbs');
        for (const ex of list) {
          seen.add(ex.id);
          row.append(thumb(ex));
        }
        card.append(row);
      }
      return card;
    });
    $('clusters').replaceChildren(...cards);
    for (const [id, u] of thumbs) { // examples no longer kept: their object URLs go too
      if (!seen.has(id)) {
        URL.revokeObjectURL(u);
        thumbs.delete(id);
      }
    }
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      const r = await api('/v1/page');
      if (!r.ok) throw new Error('the server answered ' + r.status);
      const s = await r.json();
      $('login').hidden = true;
      $('live').hidden = false;
      $('error').textContent = '';
      render(s);
      await drift();
    } catch (e) {
      if (e instanceof TokenNeeded) return;
      $('error').textContent = 'Cannot reach the server: ' + e.message;
    }
    timer = setTimeout(refresh, POLL_MS);
  }

  // ------------------------------------------------------------------ assigning images
  function result(file) {
    const box = el('div', 'result');
    const img = el('img');
    img.alt = file.name;
    img.src = URL.createObjectURL(file);
    img.addEventListener('load', () => URL.revokeObjectURL(img.src), { once: true });
    const text = el('div');
    text.append(el('div', 'name', file.name));
    box.append(img, text);
    $('results').prepend(box);
    return text;
  }

  async function assign(file) {
    const text = result(file);
    if (file.type !== 'image/png' && file.type !== 'image/jpeg') {
      text.append(el('div', 'error', 'not a PNG or JPEG image'));
      return;
    }
    try {
      const r = await api('/v1/assign', { method: 'POST', headers: { 'Content-Type': file.type }, body: file });
      const j = await r.json();
      if (!r.ok) {
        text.append(el('div', 'error', j.error || ('error ' + r.status)));
        return;
      }
      const a = j.results[0];
      const answer = el('div', 'answer', 'cluster ' + a.cluster + ' · confidence ' + a.confidence.toFixed(3));
      answer.dataset.cluster = String(a.cluster);
      const probs = el('div', 'probs');
      probs.title = 'the probability of each cluster';
      a.probs.forEach((p, k) => {
        const bar = el('div', k === a.cluster ? 'top' : '');
        bar.style.height = Math.max(1, Math.round(p * 28)) + 'px';
        probs.append(bar);
      });
      text.append(answer, probs);
      hit = a.cluster;
      await refresh();
      const card = $('cluster-' + a.cluster);
      if (card) card.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    } catch (e) {
      if (!(e instanceof TokenNeeded)) text.append(el('div', 'error', 'failed: ' + e.message));
    }
  }

  async function assignAll(files) {
    for (const f of Array.from(files)) await assign(f);
  }
  $('file').addEventListener('change', (e) => {
    assignAll(e.target.files);
    e.target.value = '';
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    assignAll(e.dataTransfer.files);
  });

  // ------------------------------------------------------------------ drift of a followed run
  async function drift() {
    const r = await api('/v1/drift');
    if (!r.ok) return;
    const recs = (await r.json()).records;
    $('drift-section').hidden = recs.length === 0;
    if (!recs.length) return;
    const W = 860, H = 250, L = 44, R = 12, T = 10, B = 46;
    const s0 = recs[0].step, s1 = Math.max(recs[recs.length - 1].step, s0 + 1);
    const x = (v) => L + (W - L - R) * (v - s0) / (s1 - s0);
    const y = (v) => T + (H - T - B) * (1 - v);
    const g = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img' });
    for (const v of [0, 0.25, 0.5, 0.75, 1]) {
      g.append(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#e3e6ea' }),
        svg('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end' }, v.toFixed(2)));
    }
    g.append(svg('text', { x: L, y: H - B + 14 }, 'step ' + s0), svg('text', { x: W - R, y: H - B + 14, 'text-anchor': 'end' }, 'step ' + s1));
    const series = [['probe_moved', '#c0392b', 'probe: share that changed cluster'],
      ['probe_ari', '#2c7be5', 'probe: ARI with the previous record'],
      ['recent_confidence', '#27ae60', 'recent images: mean confidence']];
    series.forEach(([key, colour, label], i) => {
      const pts = recs.filter((d) => d[key] !== null).map((d) => x(d.step).toFixed(1) + ',' + y(d[key]).toFixed(1));
      if (pts.length) g.append(svg('polyline', { points: pts.join(' '), fill: 'none', stroke: colour, 'stroke-width': 2 }));
      g.append(svg('rect', { x: L + 10 + i * 270, y: H - 16, width: 10, height: 10, fill: colour }),
        svg('text', { x: L + 24 + i * 270, y: H - 7 }, label));
    });
    $('drift').replaceChildren(g);
    const last = recs[recs.length - 1];
    $('drift-note').textContent = recs.length + ' drift records; the last, at step ' + last.step + ': ' + last.seen +
      ' images seen, ' + last.pool + ' held in the pool, ' + last.skipped + ' skipped.';
  }

  refresh();
})();
