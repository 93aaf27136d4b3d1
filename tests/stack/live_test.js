// ctest stack_live: `deploy/stack.sh start` (what `make stack` runs) on free loopback ports:
// the service, Redis, the redis- and node-exporters, Alertmanager and a real Prometheus with
// deploy/prometheus (scraping and evaluating every second). Drives traffic with the simulator
// (single records and batches, injected faults so that anomalies and recovery actions happen),
// bad requests and operator feedback; then, through Prometheus' HTTP API: every target is up,
// Alertmanager is discovered, every rule evaluates without error, and every PromQL expression
// of every dashboard panel and every recording rule (and its recorded series) returns data,
// except those reading a PENDING family (promql.js), which are listed. `stack.sh stop` then
// leaves no process behind.
// Usage: node live_test.js <astraguard binary>
'use strict';
const fs = require('fs');
const os = require('os');
const net = require('net');
const path = require('path');
const { execFile, spawn } = require('child_process');
const { ROOT, PENDING, metricNames, familyOf, ruleExpressions } = require('./promql');
const { panelQueries } = require(path.join(ROOT, 'deploy/grafana/panel-queries.js'));

const binary = path.resolve(process.argv[2]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function run(cmd, args, env, timeout) {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: Object.assign({}, process.env, env), timeout, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code || 1) : 0, out: stdout + stderr }));
  });
}

async function freePorts(n) {
  const servers = [];
  for (let i = 0; i < n; i++) {
    const s = net.createServer();
    await new Promise((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
  }
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function main() {
  const failures = [];
  const fail = (m) => { failures.push(m); console.log('FAIL ' + m); };
  const [api, metrics, prom, am, redis, redisExp, nodeExp] = await freePorts(7);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-stack-'));
  // Traces go to the test OTLP receiver (the pinned npm decoder), which answers the first two
  // exports with 503: the exporter retries (retry metrics), and the exporter_outage experiment
  // below opens its breaker; short timers so that it closes again within the test.
  const portFile = path.join(dir, 'otlp_port');
  const receiver = spawn('node', [path.join(ROOT, 'tests/otlp-receiver/receiver.js'), '--port-file', portFile,
    '--out', '/dev/null', '--respond', '503:2', '--retry-after', '0'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !fs.existsSync(portFile); i++) await sleep(50);
  const env = {
    STACK_DIR: dir, STACK_BIN: binary, STACK_SCRAPE_INTERVAL: '1s',
    API_PORT: api, METRICS_PORT: metrics, PROM_PORT: prom, ALERTMANAGER_PORT: am,
    REDIS_PORT: redis, REDIS_EXPORTER_PORT: redisExp, NODE_EXPORTER_PORT: nodeExp,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${fs.readFileSync(portFile, 'utf8').trim()}`,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_BSP_SCHEDULE_DELAY: '100',
    ASTRAGUARD_BREAKER_OPEN_TIMEOUT_MS: '500', ASTRAGUARD_HEALTH_INTERVAL_MS: '200',
  };
  const stack = path.join(ROOT, 'deploy/stack.sh');
  const started = await run('bash', [stack, 'start'], env, 90000);
  console.log(started.out.trim());
  const pids = fs.existsSync(path.join(dir, 'pids'))
    ? fs.readdirSync(path.join(dir, 'pids')).map((f) => Number(fs.readFileSync(path.join(dir, 'pids', f), 'utf8')))
    : [];
  try {
    if (started.code !== 0) throw new Error('stack.sh start failed');
    if (pids.length !== 6) fail(`expected 6 processes, got ${pids.length}`);
    const base = `http://127.0.0.1:${api}`;
    const promBase = `http://127.0.0.1:${prom}`;

    // Traffic: single records with faults on three satellites, then batches.
    const sim = (extra) => run(binary, ['simulate', '--target', base, '--satellites', '3', '--step', '10',
      '--seed', '11', '--fault', 'power_brownout@600+1200#0', '--fault', 'thermal_runaway@400+300#1',
      '--fault', 'sensor_stuck@300+900:gyro#2', '--fault', 'wheel_stall@800+600#0', ...extra], {}, 60000);
    const chaos = (fault, seconds) => fetch(`${base}/api/v1/chaos/${fault}`, { method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ duration_seconds: seconds }) });
    const first = await sim(['--rate', '200', '--duration', '6']);
    // Chaos while the batches run: the exporter fails (its breaker opens, then closes) and the
    // detector loses its model; both end by themselves (recovery and resolution times).
    for (const [fault, seconds] of [['exporter_outage', 2], ['model_failure', 1]]) {
      const res = await chaos(fault, seconds);
      if (res.status !== 200) fail(`chaos ${fault}: ${res.status} ${await res.text()}`);
    }
    for (const r of [first, await sim(['--rate', '300', '--duration', '3', '--batch', '20'])]) {
      console.log(r.out.trim().split('\n').pop());
      if (r.code !== 0 || !/ 5xx=0 /.test(r.out)) fail('simulator: ' + r.out.slice(-500));
    }
    let healthy = false;
    for (let i = 0; i < 100 && !healthy; i++) {
      healthy = (await (await fetch(base + '/health')).json()).status === 'healthy';
      if (!healthy) await sleep(200);
    }
    if (!healthy) fail('/health did not turn healthy after the chaos experiments');
    // Bad requests (400, 422, 404, 405) and reads.
    const post = (p, body) => fetch(base + p, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    for (const [res, want] of [[await post('/api/v1/telemetry', '{"voltage":'), 400],
                               [await post('/api/v1/telemetry', '{"voltage":"28"}'), 422],
                               [await fetch(base + '/nope'), 404],
                               [await fetch(base + '/api/v1/telemetry'), 405]]) {
      if (res.status !== want) fail(`bad request answered ${res.status}, want ${want}`);
    }
    for (const p of ['/health', '/api/v1/status', '/api/v1/phase', '/api/v1/recovery/actions']) {
      const res = await fetch(base + p);
      if (res.status !== 200) fail(`GET ${p}: ${res.status}`);
    }
    // Operator feedback on six anomalies.
    const hist = await (await fetch(base + '/api/v1/history/anomalies?limit=6')).json();
    if (hist.anomalies.length < 6) fail(`only ${hist.anomalies.length} anomalies detected`);
    for (const [i, a] of hist.anomalies.entries()) {
      const res = await post(`/api/v1/anomalies/${a.anomaly_id}/feedback`,
        JSON.stringify({ label: i % 2 ? 'confirmed' : 'false_positive', note: 'stack live test' }));
      if (res.status !== 200) fail(`feedback on ${a.anomaly_id}: ${res.status}`);
    }

    const query = async (q) => {
      const r = await (await fetch(`${promBase}/api/v1/query?query=${encodeURIComponent(q)}`)).json();
      if (r.status !== 'success') return { error: r.error };
      return { result: r.data.result };
    };
    const hasData = (r) => r.result && r.result.some((s) => Number.isFinite(Number(s.value[1])));

    // Every target up, Alertmanager found, every rule healthy.
    const up = await query('up');
    const jobs = (up.result || []).filter((s) => s.value[1] === '1').map((s) => s.metric.job).sort();
    if (jobs.join() !== 'alertmanager,astra-guard,node,prometheus,redis') fail(`targets up: ${jobs}`);
    const ams = await (await fetch(`${promBase}/api/v1/alertmanagers`)).json();
    if (ams.data.activeAlertmanagers.length !== 1) fail('Prometheus has no Alertmanager');

    // Expressions: panels, recording rules and their series; pending ones listed, not run.
    const histograms = new Set(PENDING.filter((p) => p.endsWith('_seconds')));
    const isPending = (expr) => [...metricNames(expr)].some((n) => PENDING.includes(familyOf(n, histograms)));
    const exprs = [
      ...panelQueries().map((q) => ({ name: `${q.dashboard} / ${q.panel} [${q.refId}]`, expr: q.promql })),
      ...ruleExpressions().filter((r) => r.kind === 'record').flatMap((r) => [
        { name: `rule ${r.name}`, expr: r.expr }, { name: `series ${r.name}`, expr: r.name }]),
    ];
    const pending = exprs.filter((e) => isPending(e.expr));
    let todo = exprs.filter((e) => !isPending(e.expr));
    const deadline = Date.now() + 30000;  // rates need a few scrapes after the traffic
    while (todo.length && Date.now() < deadline) {
      const left = [];
      for (const e of todo) if (!hasData(await query(e.expr))) left.push(e);
      todo = left;
      if (todo.length) await sleep(1000);
    }
    for (const e of todo) fail(`no data: ${e.name}: ${e.expr} -> ${JSON.stringify(await query(e.expr)).slice(0, 300)}`);
    console.log(`${exprs.length - pending.length} expressions returned data; ${pending.length} read pending families and were not run:`);
    for (const e of pending) console.log(`  pending: ${e.name}`);

    const rules = await (await fetch(`${promBase}/api/v1/rules`)).json();
    let n = 0;
    for (const g of rules.data.groups) for (const r of g.rules) {
      n++;
      if (r.health !== 'ok') fail(`rule ${r.name}: health ${r.health} ${r.lastError}`);
    }
    if (n !== ruleExpressions().length) fail(`Prometheus loaded ${n} rules, the files have ${ruleExpressions().length}`);
    console.log(`${n} rules loaded, all healthy`);
  } catch (e) {
    fail(e.message);
  } finally {
    receiver.kill();
    const stopped = await run('bash', [stack, 'stop'], env, 60000);
    console.log(stopped.out.trim());
    for (const pid of pids) {
      try { process.kill(pid, 0); fail(`process ${pid} still runs after stop`); } catch (_) { /* gone */ }
    }
    if (failures.length) {
      for (const f of fs.existsSync(path.join(dir, 'logs')) ? fs.readdirSync(path.join(dir, 'logs')) : []) {
        const text = fs.readFileSync(path.join(dir, 'logs', f), 'utf8').trim().split('\n');
        console.log(`--- ${f} (last lines)\n${text.slice(-5).join('\n')}`);
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
