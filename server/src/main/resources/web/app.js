// runstream's page to compare runs. Plain JS over the JSON API under /api; uPlot draws the charts.
// The URL holds the view (project, filter, tags, sort, metrics, grouping, smoothing, scale, x), so a
// reload or a shared link shows the same view.
'use strict';

const POLL_MS = 5000;
const ROW_H = 25; // .tr height + border
const state = {}; // the view, mirrored in the URL
let data = { runs: [], total: 0, metrics: [], curves: {} };
let charts = [];
let selected = new Set();
let highlighted = null;
let pollTimer = null;
let generation = 0; // drops answers of views left meanwhile

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  }
  return e;
};

// ---- URL state -------------------------------------------------------------------------------

function readUrl() {
  const q = new URLSearchParams(location.search);
  state.project = q.get('project') || '';
  state.view = q.get('view') || (state.project ? 'runs' : 'projects');
  state.run = q.get('run') || '';
  state.where = q.get('where') || '';
  state.tags = q.getAll('tag');
  state.sort = q.get('sort') || '-started';
  state.metrics = (q.get('metrics') || '').split(',').filter((m) => m);
  state.group = q.get('group') || '';
  state.smooth = Number(q.get('smooth') || 0);
  state.log = q.get('log') === '1';
  state.hp = q.get('hp') || '';
  state.x = q.get('x') === 'time' ? 'time' : 'step';
}

function url(over = {}) {
  const s = Object.assign({}, state, over);
  const q = new URLSearchParams();
  if (s.project) q.set('project', s.project);
  if (s.view && s.view !== 'runs' && s.view !== 'projects') q.set('view', s.view);
  if (s.view === 'run' && s.run) q.set('run', s.run);
  if (s.view === 'runs') {
    if (s.where) q.set('where', s.where);
    for (const t of s.tags) q.append('tag', t);
    if (s.sort && s.sort !== '-started') q.set('sort', s.sort);
    if (s.metrics.length) q.set('metrics', s.metrics.join(','));
    if (s.group) q.set('group', s.group);
    if (s.smooth) q.set('smooth', String(s.smooth));
    if (s.log) q.set('log', '1');
    if (s.hp) q.set('hp', s.hp);
    if (s.x === 'time') q.set('x', 'time');
  }
  const text = q.toString();
  return text ? '?' + text : '?';
}

function writeUrl() {
  history.replaceState(null, '', url());
}

function go(over) {
  history.pushState(null, '', url(over));
  readUrl();
  render();
}

window.addEventListener('popstate', () => {
  readUrl();
  render();
});

// ---- API ---------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body.error || 'HTTP ' + status);
    this.status = status;
    this.position = body.position;
  }
}

// An answer later than this is given up on with a message, never an endless wait: longer than the
// server's own ClickHouse timeout, so its 503 comes first when ClickHouse is the one not answering.
const API_TIMEOUT_MS = 90000;

async function api(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), API_TIMEOUT_MS);
  let res;
  try {
    // Same origin, so the API key the browser asked for (HTTP Basic) goes with every request.
    res = await fetch('/api' + path + (q.toString() ? '?' + q : ''), { credentials: 'same-origin', signal: abort.signal });
  } catch (e) {
    throw new ApiError(0, {
      error:
        e.name === 'AbortError'
          ? 'the runstream server did not answer within ' + API_TIMEOUT_MS / 1000 + ' s'
          : 'the runstream server did not answer (' + e.message + '); is it running?',
    });
  } finally {
    clearTimeout(timer);
  }
  let body;
  try {
    body = await res.json();
  } catch (e) {
    throw new ApiError(res.status, { error: 'the server answered ' + res.status + ' without JSON' });
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

const enc = encodeURIComponent;

// Whether a failure may pass by itself (ClickHouse or the server not answering), so a view tries
// again rather than staying empty.
function passing(e) {
  return e.status === 503 || e.status === 0;
}

// Renders the view again after a while, if the person is still on it.
function retryLater(gen) {
  pollTimer = setTimeout(() => {
    if (gen === generation) render();
  }, POLL_MS);
}

function showError(message) {
  const box = $('#error');
  box.textContent = message || '';
  box.hidden = !message;
}

// ---- views -------------------------------------------------------------------------------------

function render() {
  generation++;
  charts.forEach((c) => c.destroy());
  charts = [];
  showError('');
  clearInterval(pollTimer);
  pollTimer = null;
  $('#live').textContent = '';
  const crumbs = $('#crumbs');
  crumbs.replaceChildren();
  if (state.project) {
    crumbs.append(el('a', { href: url({ view: 'runs', run: '' }), id: 'crumb-project' }, state.project));
    crumbs.append(' \u00b7 ', el('a', { href: url({ view: 'alerts' }), id: 'crumb-alerts' }, 'alerts'));
  }
  const main = $('#main');
  main.replaceChildren();
  if (state.view === 'projects') return renderProjects(main);
  if (state.view === 'run') return renderRun(main);
  if (state.view === 'alerts') return renderAlerts(main);
  return renderRuns(main);
}

async function renderProjects(main) {
  const gen = generation;
  main.append(el('h2', {}, 'Projects'));
  try {
    const projects = await api('/projects');
    const list = el('ul', { id: 'projects' });
    for (const p of projects) {
      list.append(el('li', {}, el('a', { href: url({ project: p, view: 'runs' }) }, p)));
    }
    if (!projects.length) list.append(el('li', { class: 'empty' }, 'no runs yet'));
    main.append(list);
  } catch (e) {
    if (gen !== generation) return;
    showError(e.message + (passing(e) ? '\ntrying again every ' + POLL_MS / 1000 + ' s' : ''));
    if (passing(e)) retryLater(gen);
  }
}

// The runs table and the charts of one project.
async function renderRuns(main) {
  const gen = generation;
  const whereInput = el('input', {
    id: 'where',
    value: state.where,
    placeholder: "filter: learning_rate < 0.01 and optimizer = 'adam'",
    spellcheck: 'false',
  });
  whereInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      state.where = whereInput.value.trim();
      writeUrl();
      refresh(true);
    }
  });
  const tagBox = el('span', { id: 'active-tags' });
  const metricBox = el('span', { id: 'metric-choices' });
  const groupSelect = el('select', { id: 'group' });
  groupSelect.addEventListener('change', () => {
    state.group = groupSelect.value;
    writeUrl();
    drawCharts();
  });
  const smooth = el('input', { id: 'smooth', type: 'range', min: 0, max: 0.99, step: 0.01, value: state.smooth });
  smooth.addEventListener('change', () => {
    state.smooth = Number(smooth.value);
    writeUrl();
    drawCharts();
  });
  const hp = el('select', { id: 'hp' });
  hp.addEventListener('change', () => {
    state.hp = hp.value;
    writeUrl();
    drawCharts();
  });
  const xSelect = el(
    'select',
    { id: 'x' },
    el('option', { value: 'step' }, 'step'),
    el('option', { value: 'time' }, 'relative time'),
  );
  xSelect.value = state.x;
  xSelect.addEventListener('change', async () => {
    state.x = xSelect.value;
    writeUrl();
    const gen = generation;
    await loadCurves();
    if (gen === generation) drawCharts();
  });
  const log = el('input', { id: 'log', type: 'checkbox', checked: state.log });
  log.addEventListener('change', () => {
    state.log = log.checked;
    writeUrl();
    drawCharts();
  });
  main.append(
    el('div', { class: 'controls' }, whereInput, el('span', {}, 'tags: ', tagBox), el('span', { id: 'count' })),
    el('div', { id: 'where-error' }),
    el('div', { class: 'controls' }, el('span', {}, 'metrics: ', metricBox)),
    el(
      'div',
      { class: 'controls' },
      el('label', {}, 'group by ', groupSelect),
      el('label', {}, 'best vs ', hp),
      el('label', {}, 'smoothing ', smooth),
      el('label', {}, log, 'log scale'),
      el('label', {}, 'x ', xSelect),
    ),
    el('div', { id: 'table' }, el('div', { class: 'tr head', id: 'thead' }), el('div', { id: 'rows' })),
    el('div', { id: 'charts' }),
  );
  $('#table').addEventListener('scroll', drawRows);
  try {
    data.metrics = await api('/projects/' + enc(state.project) + '/metrics');
  } catch (e) {
    if (gen !== generation) return;
    showError(e.message + (passing(e) ? '\ntrying again every ' + POLL_MS / 1000 + ' s' : ''));
    if (passing(e)) retryLater(gen);
    return;
  }
  if (gen !== generation) return;
  await refresh(true);
  if (gen !== generation) return;
  pollTimer = setInterval(() => refresh(false), POLL_MS);
}

function runParams() {
  return { where: state.where, tag: state.tags };
}

// Reads the runs and the curves again; `full` also redraws the charts from scratch.
async function refresh(full) {
  const gen = generation;
  const errBox = $('#where-error');
  let page;
  try {
    page = await api(
      '/projects/' + enc(state.project) + '/runs',
      Object.assign(runParams(), { sort: state.sort, metrics: state.metrics.join(','), limit: 10000 }),
    );
  } catch (e) {
    if (gen !== generation) return;
    if (e.status === 400 && e.position) {
      // The message under the box, a caret under the character the parser stopped at.
      $('#where').classList.add('bad');
      errBox.textContent = state.where + '\n' + ' '.repeat(e.position - 1) + '^ ' + e.message;
    } else {
      showError(e.message);
    }
    data.runs = [];
    data.total = 0;
    drawControls();
    drawRows();
    return;
  }
  if (gen !== generation) return;
  $('#where').classList.remove('bad');
  errBox.textContent = '';
  showError('');
  data.runs = page.runs;
  data.total = page.total;
  data.byId = new Map(page.runs.map((r) => [r.id, r]));
  drawControls();
  drawRows();
  performance.mark('rs:rows-drawn'); // the benchmark (WebBench) reads these marks
  await loadCurves();
  if (gen !== generation) return;
  performance.mark('rs:curves-loaded');
  $('#live').textContent = 'updated ' + new Date().toLocaleTimeString();
  drawCharts(!full);
}

// One bucket per pixel of the chart's width: each bucket's min/max band keeps what a pixel can
// show, and more buckets would only cost the store's read and the transfer.
function curvePoints() {
  return Math.min(1000, chartWidth());
}

async function loadCurves() {
  const ids = visibleIds();
  const curves = {};
  await Promise.all(
    state.metrics.map(async (m) => {
      const params = Object.assign(
        { metric: m, points: curvePoints(), x: state.x === 'time' ? 'time' : undefined },
        selected.size ? { runs: ids.join(',') } : runParams(),
      );
      try {
        curves[m] = await api('/projects/' + enc(state.project) + '/curves', params);
      } catch (e) {
        showError(e.message);
      }
    }),
  );
  data.curves = curves;
}

function visibleIds() {
  const ids = data.runs.map((r) => r.id);
  return selected.size ? ids.filter((id) => selected.has(id)) : ids;
}

function configKeys() {
  const keys = new Set();
  for (const r of data.runs) for (const k of Object.keys(r.config)) keys.add(k);
  return [...keys].sort();
}

function drawControls() {
  $('#count').textContent = data.total + ' runs' + (selected.size ? ', ' + selected.size + ' selected' : '');
  const tagBox = $('#active-tags');
  tagBox.replaceChildren();
  for (const t of state.tags) {
    tagBox.append(
      el('span', { class: 'chip active', title: 'remove this tag filter', onclick: () => toggleTag(t) }, t, ' \u00d7'),
    );
  }
  if (!state.tags.length) tagBox.append(el('span', { class: 'empty' }, 'click a tag to filter'));
  // Redrawn only when what they offer changed: a poll must not swap an element under the pointer.
  const metricBox = $('#metric-choices');
  const metricKey = JSON.stringify([data.metrics, state.metrics]);
  if (metricBox.dataset.key === metricKey) return drawGroupChoice();
  metricBox.dataset.key = metricKey;
  metricBox.replaceChildren();
  for (const m of data.metrics) {
    const box = el('input', { type: 'checkbox', 'data-metric': m, checked: state.metrics.includes(m) });
    box.addEventListener('change', () => {
      state.metrics = box.checked ? [...state.metrics, m] : state.metrics.filter((x) => x !== m);
      writeUrl();
      refresh(true);
    });
    metricBox.append(el('label', { class: 'metric-choice' }, box, m));
  }
  drawGroupChoice();
}

function drawGroupChoice() {
  const group = $('#group');
  const keys = configKeys();
  const key = JSON.stringify([keys, state.group]);
  if (group.dataset.key === key) return;
  group.dataset.key = key;
  group.replaceChildren(el('option', { value: '' }, '(none)'), ...keys.map((k) => el('option', { value: k }, k)));
  if (state.group && !keys.includes(state.group)) group.append(el('option', { value: state.group }, state.group));
  group.value = state.group;
  const hp = $('#hp');
  hp.replaceChildren(el('option', { value: '' }, '(none)'), ...keys.map((k) => el('option', { value: k }, k)));
  if (state.hp && !keys.includes(state.hp)) hp.append(el('option', { value: state.hp }, state.hp));
  hp.value = state.hp;
}

function toggleTag(tag) {
  state.tags = state.tags.includes(tag) ? state.tags.filter((t) => t !== tag) : [...state.tags, tag];
  selected.clear();
  writeUrl();
  refresh(true);
}

function setSort(key) {
  state.sort = state.sort === key ? '-' + key : state.sort === '-' + key ? key : key;
  writeUrl();
  refresh(false);
}

function columns() {
  const cols = [
    { key: 'name', label: 'name', sort: 'name', wide: true, value: (r) => r.name },
    { key: 'state', label: 'state', value: (r) => r.state },
    { key: 'tags', label: 'tags', wide: true },
  ];
  for (const k of configKeys()) {
    cols.push({ key: 'config:' + k, label: k, sort: 'config:' + k, value: (r) => r.config[k] ?? '' });
  }
  for (const m of state.metrics) {
    cols.push({ key: 'last:' + m, label: m, sort: 'last:' + m, value: (r) => fmt(r.metrics[m]?.last) });
    cols.push({ key: 'best:' + m, label: 'best ' + m, sort: 'best:' + m, value: (r) => fmt(r.metrics[m]?.best) });
  }
  cols.push({ key: 'started', label: 'started', sort: 'started', value: (r) => new Date(r.started).toLocaleString() });
  cols.push({ key: 'duration', label: 'duration', sort: 'duration', value: (r) => fmtDuration(r.duration) });
  return cols;
}

// 42s, 3m 05s, 2h 07m, 3d 4h: as precise as a glance at a table needs.
function fmtDuration(ms) {
  if (ms === undefined || ms === null) return '';
  let s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return s + 's';
  const m = Math.floor(s / 60);
  s %= 60;
  if (m < 60) return m + 'm ' + String(s).padStart(2, '0') + 's';
  const h = Math.floor(m / 60);
  if (h < 24) return h + 'h ' + String(m % 60).padStart(2, '0') + 'm';
  return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
}

function fmt(v) {
  if (v === undefined || v === null) return '';
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(+v.toPrecision(5));
}

// Only the rows in view exist in the DOM: 10,000 runs scroll without freezing.
function drawRows() {
  const table = $('#table');
  if (!table) return;
  const cols = columns();
  const head = $('#thead');
  head.replaceChildren(el('div', { class: 'td check' }));
  for (const c of cols) {
    const sortKey = c.sort;
    const sorted = sortKey && state.sort.replace(/^-/, '') === sortKey;
    const cell = el(
      'div',
      {
        class: 'td' + (c.wide ? ' wide' : '') + (sorted ? ' sorted' + (state.sort.startsWith('-') ? ' desc' : '') : ''),
        'data-col': c.key,
        title: sortKey ? 'sort by ' + c.label : '',
      },
      c.label,
    );
    if (sortKey) cell.addEventListener('click', () => setSort(sortKey));
    head.append(cell);
  }
  const rows = $('#rows');
  rows.style.height = data.runs.length * ROW_H + 'px';
  // As tall as the rows up to 14 of them, so a few runs leave the charts in view.
  table.style.height = Math.min(14, Math.max(3, data.runs.length)) * ROW_H + ROW_H + 20 + 'px';
  const first = Math.max(0, Math.floor(table.scrollTop / ROW_H) - 5);
  const last = Math.min(data.runs.length, first + Math.ceil(table.clientHeight / ROW_H) + 10);
  const frag = document.createDocumentFragment();
  for (let i = first; i < last; i++) {
    const r = data.runs[i];
    const check = el('input', { type: 'checkbox', checked: selected.has(r.id) });
    check.addEventListener('change', () => {
      if (check.checked) selected.add(r.id);
      else selected.delete(r.id);
      drawControls();
      drawRows();
      loadCurves().then(() => drawCharts());
    });
    const row = el(
      'div',
      {
        class: 'tr run' + (selected.has(r.id) ? ' sel' : '') + (highlighted === r.id ? ' hl' : ''),
        'data-run': r.id,
        style: 'position:absolute;top:' + i * ROW_H + 'px',
        onmouseenter: () => highlight(r.id, null),
      },
      el('div', { class: 'td check' }, check),
    );
    for (const c of cols) {
      if (c.key === 'tags') {
        row.append(
          el('div', { class: 'td wide' }, r.tags.map((t) => el('span', { class: 'chip', onclick: () => toggleTag(t) }, t))),
        );
      } else if (c.key === 'name') {
        row.append(el('div', { class: 'td wide' }, el('a', { href: url({ view: 'run', run: r.id }), class: 'run-link' }, r.name)));
      } else if (c.key === 'state') {
        row.append(el('div', { class: 'td state-' + r.state }, r.state));
      } else {
        const v = c.value(r);
        row.append(el('div', { class: 'td', title: v }, v));
      }
    }
    frag.append(row);
  }
  rows.replaceChildren(frag);
}

// ---- charts ------------------------------------------------------------------------------------

function color(id, alpha) {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return 'hsla(' + (h % 360) + ',65%,45%,' + alpha + ')';
}

function ema(values, weight) {
  if (!weight) return values;
  const out = new Array(values.length);
  let last = null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) {
      out[i] = null;
      continue;
    }
    last = last === null ? v : last * weight + v * (1 - weight);
    out[i] = last;
  }
  return out;
}

// Aligns every run's dense bucket array on one x axis (the buckets are shared by the store).
function aligned(curve) {
  let lo = Infinity;
  let hi = -Infinity;
  const wanted = new Set(visibleIds());
  const runs = curve.runs.filter((r) => wanted.has(r.id));
  if (curve.x === 'time') return alignedByTime(runs);
  for (const r of runs) {
    lo = Math.min(lo, r.start);
    hi = Math.max(hi, r.start + r.mean.length - 1);
  }
  if (!runs.length) return { x: [], runs: [] };
  const n = hi - lo + 1;
  const x = new Array(n);
  for (let i = 0; i < n; i++) x[i] = (lo + i) * curve.bucketWidth;
  const place = (arr, start) => {
    const out = new Array(n).fill(null);
    if (arr) for (let i = 0; i < arr.length; i++) out[start - lo + i] = arr[i];
    return out;
  };
  return {
    x,
    runs: runs.map((r) => ({
      id: r.id,
      mean: place(r.mean, r.start),
      min: r.min ? place(r.min, r.start) : null,
      max: r.max ? place(r.max, r.start) : null,
    })),
  };
}

// Runs' buckets by their seconds since the run started: each run has its own times, so they go to
// bins of one shared time axis (whole seconds, as the store keeps them; wider when a run is long,
// to keep about as many columns as buckets). A bin holding several buckets of a run keeps the
// last mean, the lowest min and the highest max. Lines span the bins a run has no bucket in.
function alignedByTime(runs) {
  let maxT = 0;
  let maxN = 1;
  for (const r of runs) {
    maxN = Math.max(maxN, r.mean.length);
    for (const t of r.t || []) if (t !== null && t > maxT) maxT = t;
  }
  if (!runs.length) return { x: [], runs: [], spanGaps: true };
  const binW = Math.max(1, Math.ceil(maxT / maxN));
  const binsOf = runs.map((r) => (r.t || []).map((t) => (t === null ? -1 : Math.round(t / binW))));
  const used = [...new Set(binsOf.flat().filter((b) => b >= 0))].sort((a, b) => a - b);
  const column = new Map(used.map((b, i) => [b, i]));
  const place = (arr, bins, keep) => {
    const out = new Array(used.length).fill(null);
    if (!arr) return null;
    for (let i = 0; i < arr.length; i++) {
      if (bins[i] < 0 || arr[i] === null) continue;
      const c = column.get(bins[i]);
      out[c] = out[c] === null ? arr[i] : keep(out[c], arr[i]);
    }
    return out;
  };
  return {
    x: used.map((b) => b * binW),
    spanGaps: true,
    runs: runs.map((r, k) => ({
      id: r.id,
      mean: place(r.mean, binsOf[k], (a, b) => b),
      min: r.min ? place(r.min, binsOf[k], Math.min) : null,
      max: r.max ? place(r.max, binsOf[k], Math.max) : null,
    })),
  };
}

function xLabel() {
  return state.x === 'time' ? 'seconds since the run started' : 'step';
}

function positive(values) {
  return values.map((v) => (v !== null && v > 0 ? v : null));
}

function chartData(metric) {
  const curve = data.curves[metric];
  if (!curve) return null;
  const a = aligned(curve);
  const series = [{ label: xLabel() }];
  const spanGaps = !!a.spanGaps;
  const columns = [a.x];
  const bands = [];
  const fix = (v) => (state.log ? positive(v) : v);
  const nameOf = (id) => data.byId?.get(id)?.name || id;
  if (state.group) {
    const groups = new Map();
    for (const r of a.runs) {
      const run = data.byId?.get(r.id);
      const key = run ? run.config[state.group] ?? '(none)' : '(none)';
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(ema(r.mean, state.smooth));
    }
    for (const [key, members] of [...groups.entries()].sort()) {
      const mean = [];
      const lo = [];
      const hi = [];
      for (let i = 0; i < a.x.length; i++) {
        let sum = 0;
        let n = 0;
        let mn = Infinity;
        let mx = -Infinity;
        for (const m of members) {
          const v = m[i];
          if (v !== null) {
            sum += v;
            n++;
            mn = Math.min(mn, v);
            mx = Math.max(mx, v);
          }
        }
        mean.push(n ? sum / n : null);
        lo.push(n ? mn : null);
        hi.push(n ? mx : null);
      }
      const c = color(state.group + '=' + key, 1);
      const label = state.group + '=' + key + ' (' + members.length + ')';
      series.push({ label: label + ' max', stroke: 'transparent', points: { show: false }, group: true });
      columns.push(fix(hi));
      series.push({ label: label + ' min', stroke: 'transparent', points: { show: false }, group: true });
      columns.push(fix(lo));
      series.push({ label: label, stroke: c, width: 2, points: { show: false }, spanGaps, runId: null });
      columns.push(fix(mean));
      bands.push({ series: [series.length - 3, series.length - 2], fill: color(state.group + '=' + key, 0.15) });
    }
  } else {
    const withBands = a.runs.length <= 10;
    for (const r of a.runs) {
      if (withBands && r.min && !state.smooth) {
        series.push({ label: nameOf(r.id) + ' max', stroke: 'transparent', points: { show: false }, band: true });
        columns.push(fix(r.max));
        series.push({ label: nameOf(r.id) + ' min', stroke: 'transparent', points: { show: false }, band: true });
        columns.push(fix(r.min));
        bands.push({ series: [series.length - 2, series.length - 1], fill: color(r.id, 0.12) });
      }
      // By time, a run logged within a second or two is a point or two: drawn as dots, or not at all.
      const dots = spanGaps && r.mean.filter((v) => v !== null).length <= 3;
      series.push({ label: nameOf(r.id), stroke: color(r.id, 1), width: 1, points: { show: dots, size: 6 }, spanGaps, runId: r.id });
      columns.push(fix(ema(r.mean, state.smooth)));
    }
  }
  return { series, columns, bands };
}

let syncing = false;

// Highlights a run in every chart and in the table.
function highlight(runId, source) {
  if (syncing) return;
  syncing = true;
  try {
    highlighted = runId;
    for (const u of charts) {
      if (u === source) continue;
      const idx = runId ? u.series.findIndex((s) => s.runId === runId) : -1;
      u.setSeries(idx > 0 ? idx : null, { focus: true });
    }
    document.querySelectorAll('.tr.run').forEach((row) => row.classList.toggle('hl', row.dataset.run === runId));
  } finally {
    syncing = false;
  }
}

// Two charts a row: half the box, less the gap, each chart's padding and border, and room for
// the scroll bar the charts themselves may bring.
function chartWidth() {
  const box = $('#charts');
  return Math.max(360, Math.floor((((box && box.clientWidth) || 1000) - 16) / 2) - 30);
}

function drawCharts(keep) {
  const box = $('#charts');
  if (!box) return;
  performance.mark('rs:draw-start');
  // uPlot draws in microtasks its constructors queue; a task runs after all of them.
  setTimeout(() => performance.mark('rs:charts-drawn'), 0);
  if (keep && charts.length === state.metrics.length) {
    // A poll: same charts, new data, when the series did not change.
    let same = true;
    const prepared = state.metrics.map((m) => chartData(m));
    charts.forEach((u, i) => {
      const d = prepared[i];
      if (!d || d.series.length !== u.series.length || d.series.some((s, j) => j > 0 && s.label !== u.series[j].label)) same = false;
    });
    if (same) {
      charts.forEach((u, i) => u.setData(prepared[i].columns));
      return;
    }
  }
  charts.forEach((c) => c.destroy());
  charts = [];
  box.replaceChildren();
  if (!state.metrics.length) {
    box.append(el('div', { class: 'empty' }, 'choose metrics above to chart every visible run'));
    return;
  }
  const width = chartWidth();
  for (const metric of state.metrics) {
    const d = chartData(metric);
    const hover = el('div', { class: 'hover' });
    const holder = el('div', { class: 'chart', 'data-metric': metric }, el('h3', {}, metric), hover);
    box.append(holder);
    if (!d || d.columns[0].length === 0) {
      holder.append(el('div', { class: 'empty' }, 'no visible run logged ' + metric));
      continue;
    }
    let focused = -1;
    const opts = {
      width,
      height: 260,
      legend: { show: false },
      focus: { alpha: 0.12 },
      cursor: { focus: { prox: 20 }, points: { show: false } },
      scales: { x: { time: false }, y: state.log ? { distr: 3 } : {} },
      axes: [{ label: xLabel() }, {}],
      series: d.series,
      bands: d.bands,
      hooks: {
        setSeries: [
          (u, idx) => {
            focused = idx ?? -1;
            const s = idx != null ? u.series[idx] : null;
            if (s && s.runId !== undefined) highlight(s.runId, u);
          },
        ],
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            if (i == null) {
              hover.textContent = '';
              return;
            }
            const s = focused > 0 ? u.series[focused] : null;
            const at = state.x === 'time' ? u.data[0][i] + ' s' : 'step ' + u.data[0][i];
            if (s) {
              const v = u.data[focused][i];
              hover.textContent = s.label + '  ' + at + '  ' + metric + ' = ' + (v == null ? '\u2013' : fmt(v));
            } else {
              hover.textContent = at;
            }
          },
        ],
      },
    };
    const u = new uPlot(opts, d.columns, holder);
    charts.push(u);
  }
  if (state.hp) for (const metric of state.metrics) drawBestVs(box, metric, state.hp, width);
}

// Each visible run's best value of `metric` against one config key: a dot per run.
function drawBestVs(box, metric, key, width) {
  const ids = new Set(visibleIds());
  const points = data.runs
    .filter((r) => ids.has(r.id) && r.metrics[metric] && r.metrics[metric].best != null && r.config[key] !== undefined)
    .map((r) => ({ id: r.id, raw: r.config[key], best: r.metrics[metric].best }));
  const numeric = points.every((p) => p.raw !== '' && !isNaN(Number(p.raw)));
  const categories = numeric ? [] : [...new Set(points.map((p) => p.raw))].sort();
  for (const p of points) p.x = numeric ? Number(p.raw) : categories.indexOf(p.raw);
  points.sort((a, b) => a.x - b.x);
  const xs = points.map((p) => p.x);
  const logX = numeric && xs.length > 1 && xs[0] > 0 && xs[xs.length - 1] / xs[0] >= 100;
  const holder = el('div', { class: 'chart best-vs', 'data-metric': metric }, el('h3', {}, 'best ' + metric + ' vs ' + key));
  box.append(holder);
  if (!points.length) {
    holder.append(el('div', { class: 'empty' }, 'no visible run has both ' + key + ' and ' + metric));
    return;
  }
  const opts = {
    width,
    height: 260,
    legend: { show: false },
    cursor: { points: { show: false } },
    scales: { x: { time: false, distr: logX ? 3 : 1 }, y: state.log ? { distr: 3 } : {} },
    axes: [
      { label: key, values: numeric ? undefined : (u, vals) => vals.map((v) => categories[Math.round(v)] ?? '') },
      {},
    ],
    series: [{}, { label: 'best ' + metric, stroke: '#1a4d8f', paths: () => null, points: { show: true, size: 7, fill: '#1a4d8f' } }],
  };
  charts.push(new uPlot(opts, [xs, points.map((p) => (state.log && p.best <= 0 ? null : p.best))], holder));
}

// ---- a run's page ------------------------------------------------------------------------------

async function renderRun(main) {
  const gen = generation;
  let run;
  try {
    run = await api('/projects/' + enc(state.project) + '/runs/' + enc(state.run));
  } catch (e) {
    if (gen === generation) showError(e.message);
    return;
  }
  if (gen !== generation) return;
  const configText = JSON.stringify(run.configJson, null, 2);
  const args = Object.entries(run.config)
    .map(([k, v]) => '--' + k + '=' + (/^[\w.\-/]+$/.test(v) ? v : "'" + String(v).replace(/'/g, "'\\''") + "'"))
    .join(' ');
  main.append(
    el('h2', { id: 'run-name' }, run.name, ' ', el('span', { class: 'state-' + run.state }, run.state)),
    el(
      'table',
      { class: 'kv', id: 'run-meta' },
      ['id', 'team', 'group', 'jobType', 'notes'].map((k) => el('tr', {}, el('th', {}, k), el('td', {}, run[k]))),
      el('tr', {}, el('th', {}, 'tags'), el('td', {}, run.tags.map((t) => el('span', { class: 'chip' }, t)))),
      el('tr', {}, el('th', {}, 'started'), el('td', {}, new Date(run.started).toISOString())),
      el('tr', {}, el('th', {}, 'duration'), el('td', { id: 'run-duration' }, fmtDuration(run.duration))),
    ),
    el('h3', {}, 'Config ', copyButton('copy as JSON', configText), ' ', copyButton('copy as arguments', args)),
    el('pre', { id: 'run-config' }, configText),
    el('h3', {}, 'Summary'),
    el(
      'table',
      { class: 'kv', id: 'run-summary' },
      el('tr', {}, ['metric', 'last', 'min', 'max', 'points'].map((h) => el('th', {}, h))),
      Object.entries(run.summary).map(([m, s]) =>
        el('tr', {}, el('td', {}, m), el('td', {}, fmt(s.last)), el('td', {}, fmt(s.min)), el('td', {}, fmt(s.max)), el('td', {}, s.count)),
      ),
    ),
    el('h3', {}, 'Alerts'),
    alertTable(run.alerts),
    el('h3', {}, 'Curves and system metrics'),
    el('div', { id: 'charts' }),
  );
  const box = $('#charts');
  const simple = (title, x, y) => {
    const holder = el('div', { class: 'chart' }, el('h3', {}, title));
    box.append(holder);
    charts.push(
      new uPlot(
        { width: 420, height: 200, legend: { show: false }, scales: { x: { time: false } }, series: [{}, { stroke: color(run.id, 1), points: { show: false } }] },
        [x, y],
        holder,
      ),
    );
  };
  for (const m of Object.keys(run.summary)) {
    try {
      const c = await api('/projects/' + enc(state.project) + '/curves', { metric: m, runs: run.id, points: 500 });
      if (gen !== generation) return;
      const r = c.runs[0];
      if (r) simple(m, r.mean.map((_, i) => (r.start + i) * c.bucketWidth), r.mean);
    } catch (e) {
      showError(e.message);
    }
  }
  for (const [m, s] of Object.entries(run.system)) simple('system: ' + m, s.x, s.y);
}

function copyButton(label, text) {
  return el('button', { onclick: () => navigator.clipboard?.writeText(text) }, label);
}

function alertTable(alerts) {
  if (!alerts.length) return el('div', { class: 'empty' }, 'no alerts');
  return el(
    'table',
    { class: 'kv alerts' },
    el('tr', {}, ['time', 'run', 'severity', 'title', 'message', ''].map((h) => el('th', {}, h))),
    alerts.map((a) =>
      el(
        'tr',
        {},
        el('td', {}, new Date(a.time).toISOString()),
        el('td', {}, el('a', { href: url({ view: 'run', run: a.run }) }, a.run)),
        el('td', {}, a.severity),
        el('td', {}, a.title),
        el('td', {}, a.message),
        el('td', {}, a.resolved ? 'resolved' : ''),
      ),
    ),
  );
}

async function renderAlerts(main) {
  const gen = generation;
  main.append(el('h2', {}, 'Alerts of ' + state.project));
  try {
    const alerts = await api('/projects/' + enc(state.project) + '/alerts', { limit: 500 });
    if (gen !== generation) return;
    main.append(alertTable(alerts));
  } catch (e) {
    if (gen === generation) showError(e.message);
  }
}

readUrl();
render();
