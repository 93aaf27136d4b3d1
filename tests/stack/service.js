// Starts the real astraguard binary on free loopback ports for a stack test and stops it.
'use strict';
const { spawn } = require('child_process');

// Resolves {api, metrics, stop()} once the service logged its `listening` line.
function startService(binary, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['serve'], {
      env: Object.assign({ PATH: process.env.PATH, ASTRAGUARD_HOST: '127.0.0.1', ASTRAGUARD_PORT: '0',
                           PROMETHEUS_PORT: '0', OTEL_TRACES_EXPORTER: 'none' }, env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('no listening line:\n' + out)); }, 15000);
    const onData = (d) => {
      out += d;
      const m = out.match(/api_port=(\d+) metrics_port=(\d+)/);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({
          api: `http://127.0.0.1:${m[1]}`, metrics: `http://127.0.0.1:${m[2]}`,
          stop: () => new Promise((done) => { child.once('exit', done); child.kill('SIGTERM'); }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => { out += d; });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`service exited ${code}:\n${out}`)); });
  });
}

// {families: Map name -> type} of a Prometheus text exposition.
function parseFamilies(text) {
  const families = new Map();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(m[1], m[2]);
  return families;
}

module.exports = { startService, parseFamilies };
