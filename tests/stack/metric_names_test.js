// ctest stack_metric_names: every metric name a Prometheus rule or a Grafana panel reads is one
// the service exposes on /metrics (families from a real scrape of the built binary), one of
// our recording rules, or Prometheus' own `up`; the exceptions are listed and checked:
// PENDING (promql.js, families of work not merged yet) and FIRST_USE below.
// Usage: node metric_names_test.js <astraguard binary>
'use strict';
const fs = require('fs');
const path = require('path');
const { ROOT, PENDING, metricNames, familyOf, ruleExpressions } = require('./promql');
const { panelQueries } = require(path.join(ROOT, 'deploy/grafana/panel-queries.js'));
const { startService, parseFamilies } = require('./service');

// Families the service registers at start-up whose series appear on their first event only,
// so a fresh scrape has no TYPE line for them. Each must be registered in src/ (checked).
const FIRST_USE = {
  astra_errors_total: 'series per type and route on the first 5xx (obs/metrics/metrics.cpp)',
};

(async () => {
  const failures = [];
  // Trace export on (to a port nothing listens on): the exporter's circuit breaker and retry
  // families exist only when there is an exporter.
  const svc = await startService(process.argv[2], {
    OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
  let families;
  try {
    // Some traffic first: a record, an anomaly, a bad request.
    const post = (body) => fetch(`${svc.api}/api/v1/telemetry`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    await post('{"voltage":28,"temperature":20,"gyro":0.01}');
    await post('{"voltage":12,"temperature":20,"gyro":0.01}');
    await post('{"voltage":');
    families = parseFamilies(await (await fetch(`${svc.metrics}/metrics`)).text());
  } finally {
    await svc.stop();
  }
  console.log(`the service exposes ${families.size} families`);

  const histograms = new Set([...families].filter(([, t]) => t === 'histogram').map(([n]) => n));
  for (const p of PENDING) if (p.endsWith('_seconds')) histograms.add(p);
  const rules = ruleExpressions();
  const records = new Set(rules.filter((r) => r.kind === 'record').map((r) => r.name));

  const src = [];
  const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p); else if (/\.cpp$/.test(e.name) && !/_test\.cpp$/.test(e.name)) src.push(fs.readFileSync(p, 'utf8'));
  } };
  walk(path.join(ROOT, 'src'));
  for (const name of Object.keys(FIRST_USE)) {
    if (families.has(name)) failures.push(`${name} is exposed from start now: remove it from FIRST_USE`);
    if (!src.some((s) => s.includes(`.Name("${name}")`))) failures.push(`${name} (FIRST_USE) is not registered in src/`);
  }

  const uses = [
    ...rules.map((r) => ({ where: `${r.file} ${r.kind} ${r.name}`, expr: r.expr })),
    ...panelQueries().map((q) => ({ where: `${q.file} "${q.panel}" ${q.refId}`, expr: q.promql })),
  ];
  const pendingUsed = new Set();
  let checked = 0;
  for (const u of uses) {
    for (const name of metricNames(u.expr)) {
      checked++;
      const fam = familyOf(name, histograms);
      if (name.includes(':')) {
        if (!records.has(name)) failures.push(`${u.where}: ${name} is no recording rule`);
      } else if (fam !== name && !histograms.has(fam)) {
        failures.push(`${u.where}: ${name}: ${fam} is not a histogram`);
      } else if (PENDING.includes(fam)) {
        pendingUsed.add(fam);
      } else if (!(families.has(fam) || fam === 'up' || fam in FIRST_USE)) {
        failures.push(`${u.where}: ${name} is not exposed by the service`);
      }
    }
  }
  for (const p of PENDING) {
    if (families.has(p)) failures.push(`${p} is exposed now: remove it from PENDING in promql.js`);
    if (!pendingUsed.has(p)) failures.push(`${p} is in PENDING but no rule or panel uses it`);
  }
  console.log(`${uses.length} expressions, ${checked} metric references checked; pending (not exposed yet): ${PENDING.join(', ')}`);
  for (const f of failures) console.log('FAIL ' + f);
  process.exit(failures.length ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
