// ctest stack_dashboards: each Grafana dashboard in deploy/grafana/dashboards validates against
// the dashboard JSON Schema generated from @grafana/schema 13.2.3's TypeScript types (the
// classic dashboard model that file provisioning loads) with ts-json-schema-generator, checked
// by ajv 8; every panel and query uses the datasource uid the provisioning file declares; panel
// ids and dashboard uids are unique; every panel has a query; every query is valid PromQL
// (`promtool check rules` on a rule file wrapping them).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const YAML = require('yaml');
const Ajv = require('ajv');
const tsj = require('ts-json-schema-generator');
const { ROOT } = require('./promql');
const { panelQueries, DASHBOARDS } = require(path.join(ROOT, 'deploy/grafana/panel-queries.js'));

const failures = [];
const fail = (m) => failures.push(m);

const schema = tsj.createGenerator({
  path: path.join(__dirname, 'node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen.d.ts'),
  type: 'Dashboard', skipTypeCheck: true,
}).createSchema('Dashboard');
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

const prov = YAML.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8'));
const dsUid = prov.datasources[0].uid;
if (!dsUid || prov.datasources[0].type !== 'prometheus') fail('provisioning: no prometheus datasource with a uid');

const files = fs.readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json')).sort();
const want = ['anomaly-detection.json', 'reliability-resilience.json', 'service-health.json'];
if (JSON.stringify(files) !== JSON.stringify(want)) fail(`dashboards ${files} are not ${want}`);
const uids = new Set();
for (const file of files) {
  const d = JSON.parse(fs.readFileSync(path.join(DASHBOARDS, file), 'utf8'));
  if (!validate(d)) {
    for (const e of validate.errors) fail(`${file}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  }
  if (!d.uid || uids.has(d.uid)) fail(`${file}: missing or duplicate uid ${d.uid}`);
  uids.add(d.uid);
  const ids = new Set();
  for (const p of d.panels) {
    if (ids.has(p.id)) fail(`${file}: duplicate panel id ${p.id}`);
    ids.add(p.id);
    if (!p.datasource || p.datasource.uid !== dsUid) fail(`${file} "${p.title}": datasource is not uid ${dsUid}`);
    if (!p.targets || p.targets.length === 0) fail(`${file} "${p.title}": no query`);
    for (const t of p.targets || []) {
      if (!t.datasource || t.datasource.uid !== dsUid) fail(`${file} "${p.title}" ${t.refId}: datasource is not uid ${dsUid}`);
      if (!t.expr) fail(`${file} "${p.title}" ${t.refId}: empty expr`);
    }
  }
  console.log(`${file}: ${d.panels.length} panels, schema ${validate(d) ? 'valid' : 'INVALID'}`);
}

// PromQL syntax: every query as a recording rule, linted by promtool.
const queries = panelQueries();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-dash-'));
const rules = { groups: [{ name: 'panels', rules: queries.map((q, i) => ({ record: `panel:q${i}`, expr: q.promql })) }] };
fs.writeFileSync(path.join(dir, 'panels.yml'), YAML.stringify(rules));
try {
  execFileSync('promtool', ['check', 'rules', path.join(dir, 'panels.yml')], { stdio: 'pipe' });
  console.log(`${queries.length} panel queries pass promtool check rules`);
} catch (e) {
  fail('promtool check rules on the panel queries:\n' + e.stdout + e.stderr);
} finally {
  fs.rmSync(dir, { recursive: true });
}

for (const f of failures) console.log('FAIL ' + f);
process.exit(failures.length ? 1 : 0);
