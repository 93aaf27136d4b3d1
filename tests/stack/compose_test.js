// ctest stack_compose: what can be checked of docker-compose.prod.yml and the Dockerfile
// without a Docker engine.
// - `docker-compose config -q` (Debian's v1) passes with the passwords in the environment and
//   fails, naming the variable, without them; no password or secret is written in the file.
// - the services and published ports are the deployment guide's (issue 15's list); every
//   depends_on has a condition; data lives in named volumes; bind-mounted files exist; every
//   service has a healthcheck except the two whose images have no shell or HTTP client.
// - prometheus.yml scrapes compose services at ports they listen on; Grafana's datasource and
//   dashboard paths match the mounts; the service's environment passes the real binary's
//   `check-config`.
// - Dockerfile: the build stage runs scripts/install-deps.sh, the script `make` runs; every
//   COPY source exists and is not dockerignored; the runtime stage installs the package of
//   every shared library the built binary links; non-root USER, HEALTHCHECK on /health/live,
//   EXPOSE 8000 9090, exec-form ENTRYPOINT, the trained model beside the binary.
// Usage: node compose_test.js <astraguard binary>
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const YAML = require('yaml');
const { ROOT } = require('./promql');

const binary = path.resolve(process.argv[2]);
const failures = [];
const fail = (m) => { failures.push(m); console.log('FAIL ' + m); };
const check = (ok, m) => { if (!ok) fail(m); };
const COMPOSE = path.join(ROOT, 'docker-compose.prod.yml');
const secrets = {
  REDIS_PASSWORD: 'test-redis-secret', GRAFANA_ADMIN_PASSWORD: 'test-grafana-secret',
  ASTRAGUARD_API_KEYS: 'admin:test-admin-key-0123456789,viewer:test-viewer-key-0123456789',
};
const compose = (env, ...args) => spawnSync('docker-compose', ['-f', COMPOSE, ...args], {
  cwd: ROOT, encoding: 'utf8', env: Object.assign({ PATH: process.env.PATH }, env) });

// ---- docker-compose config ----
let r = compose(secrets, 'config', '-q');
check(r.status === 0, `docker-compose config -q: rc ${r.status} ${r.stderr}`);
for (const name of Object.keys(secrets)) {
  const env = Object.assign({}, secrets); delete env[name];
  r = compose(env, 'config', '-q');
  check(r.status !== 0 && r.stderr.includes(name), `config without ${name} must fail naming it: ${r.status} ${r.stderr}`);
}
const raw = fs.readFileSync(COMPOSE, 'utf8');
for (const line of raw.split('\n')) {
  if (/^\s*#/.test(line)) continue;
  if (/(PASSWORD|SECRET|TOKEN|requirepass)/i.test(line) && /[:=]/.test(line) && !/\$\{?\$?[A-Z_]/.test(line)) {
    fail(`a secret written in the file: ${line.trim()}`);
  }
}
const cfg = YAML.parse(compose(secrets, 'config').stdout);
const svc = cfg.services;

const wantPorts = {
  'astra-guard': ['8000:8000', '9090:9090'], redis: ['6379:6379'], prometheus: ['9091:9090'],
  grafana: ['3000:3000'], jaeger: ['16686:16686', '4317:4317', '4318:4318'],
  'redis-exporter': ['9121:9121'], 'node-exporter': ['9100:9100'], alertmanager: ['9093:9093'],
};
check(JSON.stringify(Object.keys(svc).sort()) === JSON.stringify(Object.keys(wantPorts).sort()),
  `services ${Object.keys(svc)} are not ${Object.keys(wantPorts)}`);
// "published:target" of a port entry (long form, or the short string form with a host IP).
const portOf = (p) => typeof p === 'string' ? p.replace(/\/tcp$/, '').split(':').slice(-2).join(':') : `${p.published}:${p.target}`;
const targetOf = (p) => Number(portOf(p).split(':')[1]);
const noHealthcheck = { jaeger: 'scratch-like image, no shell or HTTP client', 'redis-exporter': 'scratch image' };
for (const [name, s] of Object.entries(svc)) {
  const ports = (s.ports || []).map(portOf).sort();
  check(JSON.stringify(ports) === JSON.stringify((wantPorts[name] || []).slice().sort()), `${name}: ports ${ports}`);
  if (!(name in noHealthcheck)) check(s.healthcheck && s.healthcheck.test, `${name}: no healthcheck`);
  for (const [dep, d] of Object.entries(s.depends_on || {})) {
    check(d.condition, `${name}: depends_on ${dep} without a condition`);
    check(d.condition !== 'service_healthy' || (svc[dep] && svc[dep].healthcheck), `${name}: waits for ${dep} healthy, which has no healthcheck`);
  }
  for (const v of s.volumes || []) {
    const [src] = v.split(':');
    if (src.startsWith('/')) {
      if (src !== '/') check(src.startsWith(ROOT) && fs.existsSync(src), `${name}: bind mount ${src} does not exist in the repo`);
    } else {
      check(cfg.volumes && src in cfg.volumes, `${name}: volume ${src} is not a named volume`);
    }
  }
}
const mountOf = (name, target) => (svc[name].volumes || []).map((v) => v.split(':')).find((v) => v[1] === target);
for (const [name, dir] of [['redis', '/data'], ['prometheus', '/prometheus'], ['grafana', '/var/lib/grafana'], ['alertmanager', '/alertmanager']]) {
  const m = mountOf(name, dir);
  check(m && !m[0].startsWith('/'), `${name}: ${dir} is not on a named volume`);
}
check(/--storage\.tsdb\.retention\.time=7d/.test(svc.prometheus.command.join(' ')), 'prometheus: retention is not 7d');
check(/--appendonly yes/.test(svc.redis.command.join(' ')), 'redis: AOF is not on');

// ---- Prometheus, Grafana and the service as the compose file wires them ----
const listens = (name) => new Set([...(svc[name].ports || []).map(targetOf), ...(svc[name].expose || []).map(Number)]);
const prom = YAML.parse(fs.readFileSync(path.join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8'));
const targets = [...prom.scrape_configs.flatMap((j) => j.static_configs.flatMap((c) => c.targets)),
                 ...prom.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets))];
for (const t of targets) {
  const [host, port] = t.split(':');
  const name = host === 'localhost' ? 'prometheus' : host;
  check(svc[name] && listens(name).has(Number(port)), `prometheus.yml target ${t} is no port of a compose service`);
}
check(prom.rule_files.every((f) => f.startsWith('/etc/prometheus/rules/')) &&
      mountOf('prometheus', '/etc/prometheus/rules')[0] === path.join(ROOT, 'deploy/prometheus/rules'),
      'prometheus: rule files are not the mounted deploy/prometheus/rules');
check(mountOf('prometheus', '/etc/prometheus/prometheus.yml')[0] === path.join(ROOT, 'deploy/prometheus/prometheus.yml'),
      'prometheus: config is not deploy/prometheus/prometheus.yml');
const ds = YAML.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')).datasources[0];
const dsUrl = new URL(ds.url);
check(listens(dsUrl.hostname).has(Number(dsUrl.port)), `grafana datasource ${ds.url} is no compose service port`);
const provider = YAML.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana/provisioning/dashboards/astraguard.yml'), 'utf8')).providers[0];
check(mountOf('grafana', provider.options.path)[0] === path.join(ROOT, 'deploy/grafana/dashboards'),
      `grafana: dashboards provider path ${provider.options.path} is not the mounted deploy/grafana/dashboards`);
check(mountOf('grafana', '/etc/grafana/provisioning')[0] === path.join(ROOT, 'deploy/grafana/provisioning'), 'grafana: provisioning not mounted');
const env = svc['astra-guard'].environment;
const otlp = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT);
check(listens(otlp.hostname).has(Number(otlp.port)), `OTLP endpoint ${otlp} is no compose service port`);
check(listens('astra-guard').has(Number(env.PROMETHEUS_PORT)), 'PROMETHEUS_PORT is not published');
r = spawnSync(binary, ['check-config'], { encoding: 'utf8', env: Object.assign({ PATH: process.env.PATH }, env) });
check(r.status === 0, `astraguard check-config with the compose environment: rc ${r.status} ${r.stdout}${r.stderr}`);
check(/REDIS_URL=redis:\/\/default:<redacted>@redis:6379\/0/.test(r.stdout), 'REDIS_URL is not redis:6379 with the password');

// ---- Dockerfile ----
const docker = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
const lines = docker.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
const stages = [];
for (const l of lines) { if (/^FROM /.test(l)) stages.push([]); stages[stages.length - 1].push(l); }
check(stages.length === 2 && /^FROM debian:bookworm AS build/.test(stages[0][0]) && /^FROM debian:bookworm-slim/.test(stages[1][0]),
      'Dockerfile: not two stages on debian:bookworm');
const makefile = fs.readFileSync(path.join(ROOT, 'Makefile'), 'utf8');
check(/^deps:\n\t@bash scripts\/install-deps\.sh$/m.test(makefile), 'Makefile deps does not run scripts/install-deps.sh');
check(stages[0].some((l) => /^RUN bash scripts\/install-deps\.sh /.test(l)), 'Dockerfile: build stage does not run scripts/install-deps.sh');
check(stages[0].some((l) => /^COPY scripts\/install-deps\.sh scripts\/install-deps\.sh$/.test(l)), 'Dockerfile: the install script is not the repo\'s');
check(stages[0].some((l) => /--target astraguard default_model/.test(l)), 'Dockerfile: does not build the binary and the model');
const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').filter(Boolean);
for (const l of lines.filter((x) => /^COPY /.test(x) && !/--from=/.test(x))) {
  const parts = l.split(/\s+/).slice(1, -1);
  for (const src of parts) {
    check(fs.existsSync(path.join(ROOT, src)), `Dockerfile: COPY source ${src} does not exist`);
    check(!ignored.some((p) => p.replace('**/', '') === src.split('/')[0]), `Dockerfile: COPY source ${src} is dockerignored`);
  }
}
for (const p of ['.git', 'build*', '**/node_modules']) check(ignored.includes(p), `.dockerignore lacks ${p}`);
const fromBuild = lines.filter((l) => /^COPY --from=build /.test(l)).map((l) => l.split(/\s+/));
const copied = Object.fromEntries(fromBuild.map((w) => [w[2], w[3]]));
check(copied['/src/build/astraguard'] === '/opt/astraguard/astraguard', 'Dockerfile: binary not copied to /opt/astraguard');
check(copied['/src/build/models/default.model'] === '/opt/astraguard/models/default.model', 'Dockerfile: model not beside the binary');
check(fs.existsSync(path.join(path.dirname(binary), 'models/default.model')), 'the build has no models/default.model beside the binary');
const user = stages[1].find((l) => /^USER /.test(l));
check(user && !/^USER (root|0)\b/.test(user), 'Dockerfile: no non-root USER');
check(stages[1].some((l) => /^HEALTHCHECK .*CMD \[.*"http:\/\/127\.0\.0\.1:8000\/health\/live"\]/.test(l)), 'Dockerfile: no HEALTHCHECK on /health/live');
check(stages[1].some((l) => /^EXPOSE 8000 9090$/.test(l)), 'Dockerfile: EXPOSE 8000 9090 missing');
const entry = stages[1].find((l) => /^ENTRYPOINT /.test(l));
check(entry && JSON.parse(entry.slice('ENTRYPOINT '.length))[0] === '/opt/astraguard/astraguard', 'Dockerfile: ENTRYPOINT not exec form on the binary');
// Runtime packages: one per shared library the binary links, except the base image's own. The
// image builds Release; a sanitizer build (make test-asan/-tsan) links its runtimes and other
// libraries the image never sees, so the check needs the Release binary.
const runtime = stages[1].filter((l) => /apt-get install/.test(l)).join(' ');
const ldd = spawnSync('ldd', [binary], { encoding: 'utf8' }).stdout;
if (/lib(asan|tsan|ubsan)\.so/.test(ldd)) {
  console.log('compose: sanitizer build: the runtime-package check runs with the Release binary only');
} else {
  const needed = new Set();
  for (const m of ldd.matchAll(/=> (\/\S+)/g)) {
    for (const f of [m[1], '/usr' + m[1]]) {
      const q = spawnSync('dpkg', ['-S', f], { encoding: 'utf8' });
      if (q.status === 0) { needed.add(q.stdout.split(':')[0]); break; }
    }
  }
  const base = new Set(['libc6', 'libgcc-s1', 'libstdc++6']);
  check(needed.size > 3, `could not map the binary's libraries to packages: ${[...needed]}`);
  for (const p of needed) if (!base.has(p)) check(new RegExp(`\\s${p.replace(/[+.]/g, '\\$&')}(\\s|$)`).test(runtime), `Dockerfile: runtime stage lacks ${p}`);
  console.log(`compose: ${Object.keys(svc).length} services; Dockerfile runtime packages cover ${[...needed].sort().join(', ')}`);
}

process.exit(failures.length ? 1 : 0);
