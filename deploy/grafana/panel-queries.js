#!/usr/bin/env node
// The PromQL of every dashboard panel in deploy/grafana/dashboards, with Grafana's own
// variables replaced so that Prometheus can run it ($__range: 1h, $__interval and
// $__rate_interval: 1m). Where no Grafana runs (`make stack`), run as
//   node deploy/grafana/panel-queries.js http://127.0.0.1:9091
// to print, per dashboard and panel, a Prometheus graph URL of each query. The stack tests
// use panelQueries() to evaluate every panel.
'use strict';
const fs = require('fs');
const path = require('path');

const DASHBOARDS = path.join(__dirname, 'dashboards');

function toPromQL(expr) {
  return expr.replace(/\$__range\b/g, '1h').replace(/\$__(rate_)?interval\b/g, '1m');
}

// [{file, dashboard, uid, panel, refId, expr, datasource}] in file and panel order.
function panelQueries(dir = DASHBOARDS) {
  const out = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const d = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    for (const p of d.panels || []) {
      for (const t of p.targets || []) {
        out.push({ file, dashboard: d.title, uid: d.uid, panel: p.title, refId: t.refId,
                   expr: t.expr, promql: toPromQL(t.expr),
                   datasource: (t.datasource || p.datasource || {}).uid });
      }
    }
  }
  return out;
}

module.exports = { panelQueries, toPromQL, DASHBOARDS };

if (require.main === module) {
  const base = (process.argv[2] || 'http://127.0.0.1:9091').replace(/\/$/, '');
  let last = '';
  for (const q of panelQueries()) {
    if (q.dashboard !== last) { console.log(`\n${q.dashboard}`); last = q.dashboard; }
    const url = `${base}/graph?g0.expr=${encodeURIComponent(q.promql)}&g0.tab=0&g0.range_input=1h`;
    console.log(`  ${q.panel} [${q.refId}]\n    ${url}`);
  }
}
