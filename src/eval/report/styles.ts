/** The report's only stylesheet, inlined so the file opens offline. */
export const REPORT_CSS = `
:root { --ink:#0f172a; --ink2:#334155; --muted:#64748b; --line:#e2e8f0; --bg:#f8fafc; --card:#ffffff;
  --accent:#4f46e5; --accent-soft:#eef2ff; --good:#15803d; --good-soft:#dcfce7; --bad:#b91c1c; --bad-soft:#fee2e2;
  --warn:#b45309; --warn-soft:#fef3c7; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin:0; background:var(--bg); color:var(--ink); font: 14px/1.5 Inter, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header.top { background: linear-gradient(135deg, #1e1b4b 0%, #312e81 55%, #4338ca 100%); color:#fff; padding: 28px 40px 24px; }
header.top .brand { font-size:12px; letter-spacing:.12em; text-transform:uppercase; opacity:.75; font-weight:600; }
header.top h1 { margin:6px 0 6px; font-size:26px; font-weight:700; letter-spacing:-.01em; }
header.top .meta { display:flex; flex-wrap:wrap; gap:6px 18px; font-size:13px; opacity:.9; }
header.top .meta b { font-weight:600; }
header.top code { background: rgba(255,255,255,.12); padding: 1px 6px; border-radius: 4px; }
nav.toc { position: sticky; top:0; z-index:2; background: rgba(255,255,255,.92); backdrop-filter: blur(6px); border-bottom:1px solid var(--line); padding: 8px 40px; display:flex; gap: 4px 18px; flex-wrap: wrap; font-size:13px; }
nav.toc a { color: var(--ink2); text-decoration:none; padding: 4px 0; border-bottom: 2px solid transparent; }
nav.toc a:hover { color: var(--accent); border-bottom-color: var(--accent); }
main { max-width: 1240px; margin: 0 auto; padding: 24px 40px 48px; }
section { margin: 0 0 28px; }
section > h2 { font-size: 17px; font-weight: 650; margin: 0 0 12px; display:flex; align-items:center; gap:10px; }
section > h2 .count { font-size:12px; font-weight:500; color:var(--muted); }
.kpis { display:grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; margin-bottom: 18px; }
.kpi { background: var(--card); border:1px solid var(--line); border-radius: 12px; padding: 14px 16px; box-shadow: 0 1px 2px rgba(15,23,42,.04); }
.kpi.primary { border-color: #c7d2fe; box-shadow: 0 0 0 3px var(--accent-soft); }
.kpi .name { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; font-weight:600; }
.kpi .value { font-size: 26px; font-weight: 700; font-variant-numeric: tabular-nums; margin-top: 2px; }
.kpi .sub { font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; }
.grid { display:grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px; }
.card { background: var(--card); border:1px solid var(--line); border-radius: 12px; padding: 16px 18px; box-shadow: 0 1px 2px rgba(15,23,42,.04); min-width: 0; }
.card h3 { margin: 0 0 2px; font-size: 14px; font-weight: 650; }
.card .hint { margin: 0 0 10px; font-size: 12px; color: var(--muted); }
figure.chart { margin: 0; }
figure.chart svg { max-width: 100%; height: auto; display:block; }
.legend { display:flex; flex-wrap:wrap; gap: 6px 14px; font-size: 12px; color: var(--ink2); margin-top: 6px; }
.legend .sw { display:inline-block; width: 18px; height: 3px; border-radius: 2px; vertical-align: middle; margin-right: 6px; }
.legend .sw.dashed { background: repeating-linear-gradient(90deg, currentColor 0 5px, transparent 5px 8px) !important; }
.ramp { display:flex; align-items:center; gap:8px; font-size:12px; color:var(--muted); margin-top: 6px; }
.ramp .bar { width: 140px; height: 8px; border-radius: 4px; background: linear-gradient(90deg, #2563eb, #e11d48); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 600; background: #f8fafc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.selected td { background: #f5f3ff; }
tr.flagged td { background: #fff1f2; }
.table-wrap { overflow-x: auto; }
.badge { display:inline-block; font-size: 11px; font-weight: 600; padding: 1px 8px; border-radius: 999px; letter-spacing: .02em; }
.badge.pass { background: var(--good-soft); color: var(--good); }
.badge.fail { background: var(--bad-soft); color: var(--bad); }
.badge.warn { background: var(--warn-soft); color: var(--warn); }
.badge.base { background: #f1f5f9; color: #475569; }
.badge.sel { background: var(--accent-soft); color: var(--accent); }
.badge.soft { background: #f1f5f9; color: var(--muted); }
.delta.up { color: var(--good); font-weight: 600; }
.delta.down { color: var(--bad); font-weight: 600; }
.ci { color: var(--muted); font-size: 12px; }
.kv { display:grid; grid-template-columns: max-content 1fr; gap: 4px 16px; font-size: 13px; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; font-variant-numeric: tabular-nums; }
.bars { display:flex; height: 10px; border-radius: 5px; overflow: hidden; background: #e2e8f0; margin: 4px 0 8px; }
.bars span { display:block; height:100%; }
.callout { border-left: 3px solid var(--accent); background: var(--accent-soft); padding: 10px 14px; border-radius: 6px; font-size: 13px; }
.callout.bad { border-color: var(--bad); background: var(--bad-soft); }
.callout.good { border-color: var(--good); background: var(--good-soft); }
footer { color: var(--muted); font-size: 12px; text-align:center; padding: 16px 0 32px; }
@media print { nav.toc { display:none; } .card { break-inside: avoid; } }
`
