/** Dashboard styles: a quiet light theme; colour is kept for state (ok / warn / drift). */
export const DASHBOARD_CSS = `
:root {
  --bg: #f4f6f9; --card: #fff; --ink: #1c2430; --muted: #677489; --line: #e3e8ef;
  --accent: #2f6fed; --ok: #16a34a; --warn: #d97706; --bad: #dc2626; --ref: #94a3b8;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { display: flex; align-items: center; gap: 16px;
  padding: 10px 24px; background: #111827; color: #e5e7eb; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; letter-spacing: .2px; }
header h1 span { color: #93c5fd; }
header nav { display: flex; gap: 14px; margin-left: 12px; }
header nav a { color: #cbd5e1; text-decoration: none; font-size: 13px; }
header nav a:hover { color: #fff; }
header .right { margin-left: auto; display: flex; align-items: center; gap: 10px; font-size: 12px; color: #9ca3af; }
header select, header button { background: #1f2937; color: #e5e7eb; border: 1px solid #374151;
  border-radius: 6px; padding: 4px 8px; font-size: 12px; cursor: pointer; }
main { padding: 18px 24px 40px; max-width: 1400px; margin: 0 auto; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 16px 18px; margin-bottom: 18px; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
section > h2 { font-size: 15px; margin: 0 0 12px; display: flex; align-items: baseline; gap: 10px; }
section > h2 small { font-weight: 400; color: var(--muted); font-size: 12px; }
.grid { display: grid; gap: 14px; }
.grid.cols-3 { grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); }
.grid.cols-2 { grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card h3 { margin: 0 0 6px; font-size: 14px; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.chip { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11px; font-weight: 600;
  background: #eef2ff; color: #3730a3; border: 1px solid #e0e7ff; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 4px; font-size: 11px; font-weight: 700;
  letter-spacing: .3px; text-transform: uppercase; }
.badge.ok { background: #dcfce7; color: #166534; }
.badge.warn { background: #fef3c7; color: #92400e; }
.badge.drifted, .badge.bad { background: #fee2e2; color: #991b1b; }
.badge.neutral { background: #f1f5f9; color: #475569; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 11px; text-transform: uppercase;
  letter-spacing: .4px; padding: 6px 8px; border-bottom: 1px solid var(--line); }
td { padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.feature-row { cursor: pointer; }
tr.feature-row:hover { background: #f8fafc; }
tr.feature-row.selected { background: #eff6ff; }
tr.feature-row[data-drifted="true"] td:first-child { box-shadow: inset 3px 0 0 var(--bad); font-weight: 600; }
.kpis { display: flex; gap: 22px; flex-wrap: wrap; margin: 2px 0 10px; }
.kpi .v { font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; }
.kpi .l { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; }
.chart-title { font-size: 12px; color: var(--muted); margin: 4px 0 2px; }
.chart { min-height: 40px; }
.empty { color: var(--muted); font-style: italic; padding: 10px 0; }
.spark { width: 150px; height: 34px; }
#feature-detail { margin-top: 14px; border-top: 1px dashed var(--line); padding-top: 12px; }
#feature-detail h3 { margin: 0 0 4px; font-size: 14px; }
.hist-pair { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.legend-dot { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.error-banner { background: #fef2f2; color: #991b1b; border: 1px solid #fecaca; border-radius: 8px;
  padding: 10px 14px; margin-bottom: 14px; display: none; }
#login { display: none; max-width: 420px; margin: 60px auto; }
#login input { width: 100%; padding: 8px; border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; }
#login button, .btn { background: var(--accent); color: #fff; border: 0; border-radius: 6px; padding: 7px 14px; cursor: pointer; }
.u-legend { font-size: 11px; }
`

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const SECTIONS: readonly [string, string][] = [
  ['models', 'Models'],
  ['traffic', 'Live traffic'],
  ['experiments', 'A/B experiments'],
  ['drift', 'Drift'],
  ['performance', 'Performance'],
  ['alerts', 'Alerts'],
]

/** The dashboard page: a shell whose sections the client fills from the JSON API. */
export function dashboardPage(parts: {
  uplotJs: string
  uplotCss: string
  css: string
  clientJs: string
}): string {
  const nav = SECTIONS.map(([id, title]) => `<a href="#${id}">${escapeHtml(title)}</a>`).join('')
  const sections = SECTIONS.map(
    ([id, title]) =>
      `<section id="${id}"><h2>${escapeHtml(title)} <small id="${id}-note"></small></h2><div id="${id}-body"><div class="empty">Loading…</div></div></section>`,
  ).join('\n')
  // Inline scripts must not contain a closing script tag; uPlot's build has none, the client is ours.
  const safe = (js: string): string => js.replace(/<\/script/gi, '<\\/script')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Keel · Monitoring</title>
<style>${parts.uplotCss}</style>
<style>${parts.css}</style>
</head>
<body data-state="loading">
<header>
  <h1>Keel <span>Monitoring</span></h1>
  <nav>${nav}</nav>
  <div class="right">
    <label>Window <select id="window">
      <option value="15m">15 min</option><option value="1h" selected>1 hour</option>
      <option value="6h">6 hours</option><option value="24h">24 hours</option><option value="7d">7 days</option>
    </select></label>
    <span id="updated">–</span>
    <button id="refresh" type="button">Refresh</button>
  </div>
</header>
<main>
<div id="error" class="error-banner"></div>
<div id="login" class="card">
  <h3>Admin token required</h3>
  <p class="muted small">This dashboard is open without login on localhost only. Enter the server's KEEL_ADMIN_TOKEN.</p>
  <form id="login-form"><input id="token" type="password" autocomplete="off" placeholder="KEEL_ADMIN_TOKEN"><button type="submit">Sign in</button></form>
</div>
<div id="content">
${sections}
</div>
</main>
<script>${safe(parts.uplotJs)}</script>
<script>${safe(parts.clientJs)}</script>
</body>
</html>`
}

/** What a remote client without a valid token gets: a token form and nothing else. */
export function loginPage(disabled: boolean): string {
  const body = disabled
    ? '<p>The dashboard is only available on localhost: start the server with <code>KEEL_ADMIN_TOKEN</code> set to open it to other hosts.</p>'
    : `<p>This dashboard needs the server's admin token (<code>KEEL_ADMIN_TOKEN</code>).</p>
<form id="f"><input id="t" type="password" autocomplete="off" placeholder="KEEL_ADMIN_TOKEN" style="width:100%;padding:8px;margin:8px 0"><button type="submit">Sign in</button></form>
<script>document.getElementById('f').addEventListener('submit',function(e){e.preventDefault();document.cookie='keel_admin_token='+encodeURIComponent(document.getElementById('t').value)+'; path=/; SameSite=Strict';location.reload();});</script>`
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Keel · sign in</title>
<style>body{font:14px system-ui,sans-serif;background:#f4f6f9;color:#1c2430}.box{max-width:420px;margin:80px auto;background:#fff;border:1px solid #e3e8ef;border-radius:10px;padding:20px}</style>
</head><body><div class="box"><h2>Keel monitoring</h2>${body}</div></body></html>`
}
