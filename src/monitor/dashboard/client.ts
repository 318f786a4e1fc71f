/**
 * The dashboard's browser code (plain ES2019, no build step), inlined into the page. It reads only
 * the `/v1/monitor/*` JSON API and draws with uPlot. Written without template literals so it can
 * live in this string.
 */
export const DASHBOARD_CLIENT_JS = String.raw`
(function () {
  'use strict';
  var COLORS = ['#2f6fed', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#e11d48'];
  var REF = '#94a3b8', CUR = '#2f6fed', BAD = '#dc2626';
  var state = { window: '1h', selected: null, charts: [], detailCharts: [], timer: null };

  function $(id) { return document.getElementById(id); }
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (attrs[k] === undefined || attrs[k] === null) continue;
      if (k === 'text') el.textContent = attrs[k];
      else if (k === 'onclick') el.addEventListener('click', attrs[k]);
      else el.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return el;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    var a = Math.abs(v);
    if (a !== 0 && (a < 0.001 || a >= 1e6)) return v.toExponential(2);
    return v.toFixed(digits === undefined ? (a >= 100 ? 0 : a >= 10 ? 1 : 3) : digits);
  }
  function pct0(v) { return v === null || v === undefined ? '' : (100 * v).toFixed(0) + '%'; }
  function pct(v) { return v === null || v === undefined ? '–' : (100 * v).toFixed(1) + '%'; }
  function ms(v) { return v === null || v === undefined ? '–' : (v >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' ms'; }
  function ago(ts) {
    var s = Math.round((Date.now() - ts) / 1000);
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400) return Math.round(s / 3600) + ' h ago';
    return new Date(ts).toLocaleString();
  }
  function badge(cls, text) { return h('span', { 'class': 'badge ' + cls, text: text }); }
  function empty(text) { return h('div', { 'class': 'empty', text: text }); }

  function api(path) {
    return fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (r) {
      if (r.status === 401 || r.status === 403) { showLogin(); throw new Error('unauthorized'); }
      if (!r.ok) return r.json().then(function (b) { throw new Error((b.error && b.error.message) || ('HTTP ' + r.status)); },
        function () { throw new Error('HTTP ' + r.status); });
      return r.json();
    });
  }
  function showLogin() { $('login').style.display = 'block'; $('content').style.display = 'none'; }
  $('login-form').addEventListener('submit', function (e) {
    e.preventDefault();
    document.cookie = 'keel_admin_token=' + encodeURIComponent($('token').value) + '; path=/; SameSite=Strict';
    $('login').style.display = 'none'; $('content').style.display = 'block';
    refresh();
  });

  function destroy(list) { list.forEach(function (c) { try { c.destroy(); } catch (e) {} }); list.length = 0; }
  function widthOf(el, fallback) { var w = el.clientWidth; return w > 50 ? w : fallback; }

  // A time-series chart: x in epoch ms, one or more series.
  function timeChart(el, title, xs, series, opts) {
    opts = opts || {};
    var box = h('div', { 'class': 'chart' });
    el.appendChild(h('div', { 'class': 'chart-title', text: title }));
    el.appendChild(box);
    // A series with only a few values shows its points (a one-point line would draw nothing).
    function sparse(values) { return values.filter(function (v) { return v !== null && v !== undefined; }).length <= 3; }
    var secs = xs.map(function (t) { return t / 1000; });
    var xScale = { time: true };
    if (opts.xRange) xScale.range = [opts.xRange[0] / 1000, opts.xRange[1] / 1000];
    else if (secs.length) {
      // Pad the data's span so single points and close checks do not sit on the frame.
      var pad = Math.max((secs[secs.length - 1] - secs[0]) * 0.05, 30);
      xScale.range = [secs[0] - pad, secs[secs.length - 1] + pad];
    }
    var u = new uPlot({
      width: widthOf(el, 380), height: opts.height || 170,
      scales: { x: xScale, y: opts.yRange ? { range: opts.yRange } : {} },
      legend: { show: series.length > 1, live: false },
      series: [{}].concat(series.map(function (s, i) {
        return { label: s.label, stroke: s.color || COLORS[i % COLORS.length], width: s.width || 2,
          dash: s.dash, spanGaps: true, fill: s.fill,
          points: { show: sparse(s.values) || !!s.points, size: 6, fill: s.color || COLORS[i % COLORS.length] },
          paths: s.bars ? uPlot.paths.bars({ size: [0.8, 40] }) : undefined,
          value: function (u, v) { return opts.fmt ? opts.fmt(v) : fmt(v); } };
      })),
      axes: [{ size: 40 }, { size: 64, values: function (u, vals) { return vals.map(function (v) { return opts.axisFmt ? opts.axisFmt(v) : opts.fmt ? opts.fmt(v) : fmt(v); }); } }]
    }, [secs].concat(series.map(function (s) { return s.values; })), box);
    state.charts.push(u);
    return u;
  }

  // A small line of a feature's statistic over checks; drifted checks drawn as red points.
  function sparkline(el, values, drifted, threshold, isPValue) {
    var xs = values.map(function (_, i) { return i; });
    var flagged = values.map(function (v, i) { return drifted[i] ? v : null; });
    var u = new uPlot({
      width: 150, height: 34, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: false } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: drifted[drifted.length - 1] ? BAD : CUR, width: 1.5, spanGaps: true, points: { show: values.length <= 3, size: 5 } },
        { stroke: BAD, width: 0, points: { show: true, size: 6, fill: BAD, stroke: BAD } },
        { stroke: '#cbd5e1', width: 1, dash: [3, 3], points: { show: false } }]
    }, [xs, values, flagged, values.map(function () { return isPValue ? null : threshold; })], el);
    state.charts.push(u);
  }

  // Two bar charts on the same bins and the same y range, side by side.
  function histPair(el, d) {
    destroy(state.detailCharts);
    el.innerHTML = '';
    var maxShare = Math.max.apply(null, d.reference.shares.concat(d.current.shares).concat([0.01]));
    var xs = d.labels.map(function (_, i) { return i; });
    function one(cls, title, color, shares, rows, missing) {
      var box = h('div', { 'class': cls });
      box.appendChild(h('div', { 'class': 'chart-title' }, [h('span', { 'class': 'legend-dot', style: 'background:' + color }),
        title + ' · ' + rows + ' rows' + (missing ? ', ' + missing + ' missing' : '')]));
      var holder = h('div', { 'class': 'chart' });
      box.appendChild(holder);
      el.appendChild(box);
      var u = new uPlot({
        width: widthOf(box, 420), height: 220, legend: { show: false },
        scales: { x: { time: false, range: [-0.6, xs.length - 0.4] }, y: { range: [0, maxShare * 1.08] } },
        series: [{}, { label: title, stroke: color, fill: color + 'cc', width: 1, paths: uPlot.paths.bars({ size: [0.85, 60] }), points: { show: false } }],
        axes: [{ size: 48, rotate: 0, splits: function () { return xs; },
          values: function (u, vals) { var step = Math.ceil(xs.length / 8); return vals.map(function (v) { return v % step === 0 ? d.labels[v] : ''; }); } },
          { size: 46, values: function (u, vals) { return vals.map(function (v) { return (100 * v).toFixed(0) + '%'; }); } }]
      }, [xs, shares], holder);
      state.detailCharts.push(u);
    }
    var pair = h('div', { 'class': 'hist-pair' });
    el.appendChild(pair);
    el = pair;
    one('hist-ref', 'Reference (training)', REF, d.reference.shares, d.reference.rows, d.reference.missing);
    one('hist-cur', 'Current (' + d.window + ' window)', d.drift && d.drift.drifted ? BAD : CUR, d.current.shares, d.current.rows, d.current.missing);
  }

  // ---- sections ----
  function renderModels(data) {
    var body = $('models-body'); body.innerHTML = '';
    if (!data.models.length) { body.appendChild(empty('No models served.')); return; }
    var grid = h('div', { 'class': 'grid cols-2' });
    data.models.forEach(function (m) {
      var aliases = Object.keys(m.aliases || {}).map(function (a) { return h('span', { 'class': 'chip', text: a + ' → v' + m.aliases[a] }); });
      var rows = (m.versions || []).slice(0, 6).map(function (v) {
        var metricKeys = Object.keys(v.metrics || {});
        var main = metricKeys.indexOf('roc_auc') >= 0 ? 'roc_auc' : metricKeys[0];
        return h('tr', null, [
          h('td', null, [h('strong', { text: 'v' + v.version }), v.version === m.servingVersion ? ' ' : null, v.version === m.servingVersion ? badge('ok', 'serving') : null]),
          h('td', null, (v.aliases || []).map(function (a) { return h('span', { 'class': 'chip', text: a }); })),
          h('td', { 'class': 'num', text: main ? main + ' ' + fmt(v.metrics[main]) : '–' }),
          h('td', { 'class': 'muted small', text: new Date(v.createdAt).toLocaleString() })
        ]);
      });
      grid.appendChild(h('div', { 'class': 'card model-card', 'data-model': m.name }, [
        h('h3', null, [m.name, badge(m.status === 'ready' ? 'ok' : 'warn', m.status), h('span', { 'class': 'muted small', text: m.ref + (m.servingVersion ? ' = v' + m.servingVersion : '') + (m.task ? ' · ' + m.task : '') })]),
        h('div', null, aliases.length ? aliases : [h('span', { 'class': 'muted small', text: 'no aliases' })]),
        rows.length ? h('table', { style: 'margin-top:8px' }, [h('thead', null, [h('tr', null, [h('th', { text: 'Version' }), h('th', { text: 'Aliases' }), h('th', { 'class': 'num', text: 'Validation' }), h('th', { text: 'Registered' })])]), h('tbody', null, rows)]) : empty('Not in the registry.')
      ]));
    });
    body.appendChild(grid);
  }

  function renderTraffic(data) {
    var body = $('traffic-body'); body.innerHTML = '';
    $('traffic-note').textContent = 'per ' + Math.round(data.bucketMs / 60000 * 10) / 10 + ' min bucket';
    data.models.forEach(function (m) {
      var card = h('div', { 'class': 'card', 'data-model': m.name });
      card.appendChild(h('h3', null, [m.name]));
      var t = m.total;
      card.appendChild(h('div', { 'class': 'kpis' }, [
        kpi(String(t.count), 'requests'), kpi(ms(t.p50), 'p50'), kpi(ms(t.p95), 'p95'), kpi(ms(t.p99), 'p99'),
        kpi(pct(t.fallbackShare), 'fallback'), kpi(pct(t.defaultShare), 'static default')
      ]));
      body.appendChild(card);
      if (t.count === 0) { card.appendChild(empty('No predictions in this window.')); return; }
      var grid = h('div', { 'class': 'grid cols-3' });
      card.appendChild(grid);
      var xs = m.buckets.map(function (b) { return b.start; });
      var c1 = h('div'), c2 = h('div'), c3 = h('div');
      grid.appendChild(c1); grid.appendChild(c2); grid.appendChild(c3);
      timeChart(c1, 'Requests per bucket', xs, [{ label: 'requests', values: m.buckets.map(function (b) { return b.count; }), bars: true, fill: '#2f6fedcc' }], { fmt: function (v) { return fmt(v, 0); }, xRange: [data.start, data.end] });
      timeChart(c2, 'Latency (ms)', xs, [
        { label: 'p50', values: m.buckets.map(function (b) { return b.p50; }), color: '#16a34a' },
        { label: 'p95', values: m.buckets.map(function (b) { return b.p95; }), color: '#d97706' },
        { label: 'p99', values: m.buckets.map(function (b) { return b.p99; }), color: '#dc2626' }], { fmt: function (v) { return fmt(v, 1); }, xRange: [data.start, data.end] });
      timeChart(c3, 'Fallback / default share', xs, [
        { label: 'fallback', values: m.buckets.map(function (b) { return b.fallbackShare; }), color: '#d97706' },
        { label: 'default', values: m.buckets.map(function (b) { return b.defaultShare; }), color: '#dc2626' }], { fmt: pct, axisFmt: pct0, yRange: [0, 1], xRange: [data.start, data.end] });
    });
  }
  function kpi(v, l) { return h('div', { 'class': 'kpi' }, [h('div', { 'class': 'v', text: v }), h('div', { 'class': 'l', text: l })]); }

  function verdictBadge(v) {
    if (!v) return badge('neutral', 'n/a');
    if (/wins/.test(v)) return badge('ok', v);
    if (/no difference/.test(v)) return badge('neutral', v);
    if (/mismatch|broken/i.test(v)) return badge('bad', v);
    return badge('warn', v);
  }
  function renderExperiments(data) {
    var body = $('experiments-body'); body.innerHTML = '';
    if (!data.experiments.length) { body.appendChild(empty('No experiments. Create one with POST /v1/admin/experiments.')); return; }
    var rows = data.experiments.map(function (e) {
      var r = e.report || {};
      var variants = (r.variants || []).map(function (v) { return v.name + ': ' + v.predictions + ' pred, ' + v.labelled + ' labelled, rate ' + pct(v.outcomeRate); }).join(' · ');
      var c = (r.comparisons || [])[0];
      return h('tr', { 'data-experiment': e.id }, [
        h('td', null, [h('strong', { text: e.id })]), h('td', { text: e.model }),
        h('td', null, [badge(e.status === 'running' ? 'ok' : 'neutral', e.status)]),
        h('td', { 'class': 'small', text: e.error || variants }),
        h('td', { 'class': 'num', text: c ? fmt(c.difference) + (c.ci ? ' [' + fmt(c.ci[0]) + ', ' + fmt(c.ci[1]) + ']' : '') : '–' }),
        h('td', { 'class': 'num', text: c ? fmt(c.sequentialPValue) : '–' }),
        h('td', null, [r.srm && r.srm.mismatch ? badge('bad', 'SRM') : null, ' ', verdictBadge(e.verdict)])
      ]);
    });
    body.appendChild(h('table', null, [h('thead', null, [h('tr', null, ['Experiment', 'Model', 'Status', 'Variants', 'Difference [CI]', 'p (always valid)', 'Verdict'].map(function (t, i) { return h('th', { 'class': i === 4 || i === 5 ? 'num' : null, text: t }); }))]), h('tbody', null, rows)]));
  }

  function renderDrift(data) {
    var body = $('drift-body'); body.innerHTML = '';
    data.models.forEach(function (m) {
      var card = h('div', { 'class': 'card drift-model', 'data-model': m.name });
      body.appendChild(card);
      var L = m.latest;
      if (!L) {
        card.appendChild(h('h3', null, [m.name, badge('neutral', 'no check yet')]));
        card.appendChild(empty('No drift check recorded yet: the server checks every few minutes once enough predictions are logged (or POST /v1/monitor/check).'));
        return;
      }
      var nDrift = L.features.filter(function (f) { return f.drifted; }).length;
      if (L.verdict === 'insufficient_data') {
        card.appendChild(h('h3', null, [m.name, badge('neutral', 'not enough data'),
          h('span', { 'class': 'muted small', text: 'v' + L.version + ' · ' + L.currentRows + ' of ' + L.minRows + ' rows needed (' + L.source + ') · checked ' + ago(L.ts) })]));
        card.appendChild(empty('Not enough logged predictions for a drift verdict: ' + L.currentRows + ' rows in the window, at least ' + L.minRows + ' needed (monitor.minRows).'));
        return;
      }
      card.appendChild(h('h3', null, [m.name, L.datasetDrift ? badge('drifted', 'dataset drift') : nDrift ? badge('warn', nDrift + ' feature' + (nDrift > 1 ? 's' : '') + ' drifted') : badge('ok', 'no drift'),
        h('span', { 'class': 'muted small', text: 'v' + L.version + ' · ' + L.currentRows + ' rows (' + L.source + ') · checked ' + ago(L.ts) })]));
      card.appendChild(h('div', { 'class': 'kpis' }, [kpi(pct(L.driftedShare), 'features drifted'), kpi(L.weightedShare === undefined ? '–' : pct(L.weightedShare), 'importance drifted'), kpi(pct(L.shareThreshold), 'dataset threshold'),
        kpi(L.prediction ? (L.prediction.drifted ? 'drifted' : 'stable') : '–', 'prediction scores'), kpi(String(m.history.ts.length), 'checks')]));
      var top = h('div', { 'class': 'grid cols-2' });
      card.appendChild(top);
      var shareBox = h('div');
      top.appendChild(shareBox);
      timeChart(shareBox, 'Share of drifted features per check', m.history.ts, [
        { label: 'drifted share', values: m.history.driftedShare, color: BAD, fill: '#dc262622' },
        { label: 'threshold', values: m.history.ts.map(function () { return L.shareThreshold; }), color: '#94a3b8', dash: [4, 4], width: 1 }], { fmt: pct, axisFmt: pct0, yRange: [0, 1], height: 150 });
      var featureNames = L.features.slice().sort(function (a, b) { return (b.drifted - a.drifted) || (b.psi - a.psi); });
      var rows = featureNames.map(function (f) {
        var hist = m.history.features[f.feature];
        var spark = h('div', { 'class': 'spark' });
        var isP = f.test === 'ks' || f.test === 'chi2' || f.test === 'z';
        var tr = h('tr', { 'class': 'feature-row', 'data-feature': f.feature, 'data-drifted': String(f.drifted), onclick: function () { selectFeature(m.name, f.feature); } }, [
          h('td', { text: f.feature }),
          h('td', { 'class': 'muted small', text: f.kind }),
          h('td', { 'class': 'small', text: f.test }),
          h('td', { 'class': 'num', text: fmt(f.statistic) + (f.pValue !== undefined ? ' (p ' + fmt(f.pValue) + ')' : '') }),
          h('td', { 'class': 'num muted', text: (isP ? 'p < ' : '> ') + fmt(f.threshold) }),
          h('td', { 'class': 'num', text: fmt(f.psi) }),
          h('td', { 'class': 'num small', text: f.missingShareChanged ? pct(f.referenceMissingShare) + ' → ' + pct(f.currentMissingShare) : pct(f.currentMissingShare) }),
          h('td', { 'class': 'small', text: (f.unseenCategories || []).slice(0, 3).join(', ') }),
          h('td', null, [spark]),
          h('td', null, [f.drifted ? badge('drifted', 'drift') : badge('ok', 'ok'), f.missingShareChanged ? badge('warn', 'missing') : null])
        ]);
        if (hist) setTimeout(function () { sparkline(spark, hist.statistic, hist.drifted, hist.threshold, isP); }, 0);
        return tr;
      });
      var table = h('table', { 'class': 'features' }, [h('thead', null, [h('tr', null, ['Feature', 'Kind', 'Test', 'Statistic', 'Threshold', 'PSI', 'Missing', 'Unseen', 'Over time', 'State'].map(function (t, i) { return h('th', { 'class': i >= 3 && i <= 6 ? 'num' : null, text: t }); }))]), h('tbody', null, rows)]);
      var tableBox = h('div', { style: 'overflow-x:auto' }, [h('div', { 'class': 'chart-title', text: 'Features (click one for its histograms)' }), table]);
      card.appendChild(tableBox);
      var detail = h('div', { id: 'feature-detail', 'data-model': m.name });
      card.appendChild(detail);
      if (state.selected && state.selected.model === m.name) loadDetail(detail, state.selected.feature, false);
      else detail.appendChild(h('div', { 'class': 'muted small', text: 'Select a feature to compare its reference and current distributions.' }));
    });
  }

  function selectFeature(model, feature) {
    state.selected = { model: model, feature: feature };
    var detail = document.querySelector('#feature-detail[data-model="' + model.replace(/"/g, '') + '"]');
    if (detail) loadDetail(detail, feature, true);
  }
  function loadDetail(detail, feature, scroll) {
    document.querySelectorAll('tr.feature-row').forEach(function (r) { r.classList.toggle('selected', r.getAttribute('data-feature') === feature); });
    api('/v1/monitor/drift/' + encodeURIComponent(detail.getAttribute('data-model')) + '/features/' + encodeURIComponent(feature)).then(function (d) {
      detail.innerHTML = '';
      detail.setAttribute('data-feature', d.feature);
      var f = d.drift;
      detail.appendChild(h('h3', null, [d.feature + ' ', f ? (f.drifted ? badge('drifted', 'drifted') : badge('ok', 'stable')) : null]));
      detail.appendChild(h('div', { 'class': 'muted small', style: 'margin-bottom:6px', text: d.kind + (f ? ' · ' + f.test + ' = ' + fmt(f.statistic) + (f.pValue !== undefined ? ' (p ' + fmt(f.pValue) + ')' : '') + ' · PSI ' + fmt(f.psi) : '') + (d.unseen.length ? ' · unseen levels: ' + d.unseen.join(', ') : '') }));
      var pair = h('div');
      detail.appendChild(pair);
      histPair(pair, d);
      detail.setAttribute('data-ready', 'true');
      if (scroll) detail.scrollIntoView({ block: 'nearest' });
    }).catch(function (e) { detail.innerHTML = ''; detail.appendChild(empty('Cannot load ' + feature + ': ' + e.message)); });
  }

  function renderPerformance(data) {
    var body = $('performance-body'); body.innerHTML = '';
    var grid = h('div', { 'class': 'grid cols-2' });
    body.appendChild(grid);
    data.models.forEach(function (m) {
      var card = h('div', { 'class': 'card', 'data-model': m.name });
      grid.appendChild(card);
      card.appendChild(h('h3', null, [m.name, h('span', { 'class': 'muted small', text: (m.metric || '') + (m.validation !== null ? ' · ' + (m.validationSplit === 'cv' ? 'cross-validated' : 'test') + ' ' + fmt(m.validation) : '') + ' · ' + m.labelled + ' labelled outcomes' })]));
      if (!m.points.length) { card.appendChild(empty('Not enough labelled outcomes yet (10 per bucket, both classes): report them with POST /v1/feedback.')); return; }
      var xs = m.points.map(function (p) { return (p.start + p.end) / 2; });
      var series = [
        { label: m.metric, values: m.points.map(function (p) { return p.value; }), color: '#2f6fed', points: true },
        { label: 'CI low', values: m.points.map(function (p) { return p.lower; }), color: '#93c5fd', dash: [3, 3], width: 1 },
        { label: 'CI high', values: m.points.map(function (p) { return p.upper; }), color: '#93c5fd', dash: [3, 3], width: 1 }];
      if (m.validation !== null) series.push({ label: m.validationSplit === 'cv' ? 'cross-validated' : 'test part', values: m.points.map(function () { return m.validation; }), color: '#16a34a', dash: [6, 4], width: 1.5 });
      timeChart(card, m.metric + ' per bucket (95% CI)', xs, series, { xRange: [data.start, data.end] });
    });
  }

  function renderAlerts(data) {
    var body = $('alerts-body'); body.innerHTML = '';
    var open = data.alerts.filter(function (a) { return a.closedAt === null; }).length;
    $('alerts-note').textContent = open ? open + ' open' : '';
    if (!data.alerts.length) { body.appendChild(empty('No alerts.')); return; }
    body.appendChild(h('table', null, [h('thead', null, [h('tr', null, ['State', 'Opened', 'Model', 'Kind', 'Message', 'Closed'].map(function (t) { return h('th', { text: t }); }))]),
      h('tbody', null, data.alerts.map(function (a) {
        return h('tr', { 'class': 'alert-row', 'data-kind': a.kind }, [h('td', null, [a.closedAt === null ? badge('bad', 'open') : badge('neutral', 'resolved')]),
          h('td', { 'class': 'small', text: new Date(a.openedAt).toLocaleString() }), h('td', { text: a.model }), h('td', { 'class': 'small', text: a.kind }),
          h('td', { text: a.message }), h('td', { 'class': 'small muted', text: a.closedAt === null ? '–' : new Date(a.closedAt).toLocaleString() })]);
      }))]));
  }

  function section(name, path, render) {
    return api(path).then(render).catch(function (e) {
      if (e.message === 'unauthorized') throw e;
      var body = $(name + '-body'); body.innerHTML = ''; body.appendChild(empty('Could not load: ' + e.message));
    });
  }
  function refresh() {
    destroy(state.charts);
    var w = encodeURIComponent(state.window);
    document.body.setAttribute('data-state', 'loading');
    return Promise.all([
      section('models', '/v1/monitor/models', renderModels),
      section('traffic', '/v1/monitor/traffic?window=' + w + '&buckets=30', renderTraffic),
      section('experiments', '/v1/monitor/experiments', renderExperiments),
      section('drift', '/v1/monitor/drift?limit=50', renderDrift),
      section('performance', '/v1/monitor/performance?window=' + (state.window === '15m' || state.window === '1h' ? '24h' : w) + '&buckets=12', renderPerformance),
      section('alerts', '/v1/monitor/alerts?limit=20', renderAlerts)
    ]).then(function () {
      $('error').style.display = 'none';
      $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
      setTimeout(function () { document.body.setAttribute('data-state', 'ready'); }, 0);
    }, function (e) {
      if (e.message !== 'unauthorized') { $('error').textContent = e.message; $('error').style.display = 'block'; }
    });
  }
  $('window').addEventListener('change', function () { state.window = this.value; refresh(); });
  $('refresh').addEventListener('click', function () { refresh(); });
  refresh();
  state.timer = setInterval(function () { if (!document.hidden) refresh(); }, 15000);
})();
`
