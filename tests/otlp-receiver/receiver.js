#!/usr/bin/env node
// Test-only OTLP/HTTP trace receiver.
//
// Listens on 127.0.0.1 (port 0 = a free port), accepts POST /v1/traces as
// application/x-protobuf or application/json, decodes every export with the pinned
// OpenTelemetry decoder (@opentelemetry/otlp-transformer@0.200.0) and writes one JSON line per
// event to --out (default stdout):
//   {"type":"request","contentType":...,"status":<sent>,"spans":<n>}
//   {"type":"span","traceId":hex,"spanId":hex,"parentSpanId":hex|"","traceState":...,"name":...,
//    "kind":<int>,"startTimeUnixNano":"...","endTimeUnixNano":"...","attributes":{k:v},
//    "events":[{"name":...,"attributes":{}}],"status":{"code":<int>,"message":...},
//    "resource":{k:v},"scope":{"name":...,"version":...}}
//   {"type":"error","message":...}            (undecodable export; answered with 400)
// A string field that is not valid UTF-8 (protobuf or JSON) makes the export undecodable, as
// in the Collector's Go decoder (protobufjs alone would replace the bad bytes by U+FFFD).
// Options: --port N, --port-file F (written once listening), --out F,
//          --respond CODE[:COUNT] (answer the first COUNT exports with CODE, default all),
//          --retry-after SECONDS (header sent with --respond),
//          --echo (answer each decoded export with what the decoder read, as JSON, instead of
//            writing request and span lines:
//            {"request": the ExportTraceServiceRequest as read (fields present on the wire
//               only, in order; 64-bit integers as decimal strings, enums as numbers, ids as
//               hex, other bytes as base64),
//             "reencodedIdentically": true when the pinned encoder, given what was read,
//               writes the received protobuf bytes exactly (same field order, canonical
//               varints and lengths, nothing unread); absent for JSON}).
'use strict';

const http = require('http');
const fs = require('fs');
const protobuf = require('protobufjs/minimal');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
function readStrictString() { return strictUtf8.decode(this.bytes()); }
protobuf.Reader.prototype.string = readStrictString;
protobuf.BufferReader.prototype.string = readStrictString;

const Req = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const Resp = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

function parseArgs(argv) {
  const o = { port: 0, portFile: null, out: null, respond: null, respondCount: Infinity, retryAfter: null, echo: false };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--port') { o.port = Number(v); i++; }
    else if (a === '--port-file') { o.portFile = v; i++; }
    else if (a === '--out') { o.out = v; i++; }
    else if (a === '--respond') {
      const [code, count] = v.split(':');
      o.respond = Number(code);
      if (count !== undefined) o.respondCount = Number(count);
      i++;
    } else if (a === '--retry-after') { o.retryAfter = v; i++; }
    else if (a === '--echo') { o.echo = true; }
    else { console.error(`unknown option ${a}`); process.exit(2); }
  }
  return o;
}

const opts = parseArgs(process.argv);
const out = opts.out ? fs.openSync(opts.out, 'a') : 1;
function emit(obj) { fs.writeSync(out, JSON.stringify(obj) + '\n'); }

const b64ToHex = (s) => Buffer.from(s || '', 'base64').toString('hex');

function hexToBytes(field, hex, len, required) {
  if (hex === undefined || hex === '') {
    if (required) throw new Error(`${field} missing`);
    return undefined;
  }
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]*$/.test(hex) || hex.length !== 2 * len) {
    throw new Error(`${field} must be ${2 * len} hex digits, got ${JSON.stringify(hex)}`);
  }
  return Buffer.from(hex, 'hex');
}

function anyValue(v) {
  if (!v) return null;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('arrayValue' in v) return (v.arrayValue.values || []).map(anyValue);
  if ('kvlistValue' in v) return attrs(v.kvlistValue.values);
  if ('bytesValue' in v) return b64ToHex(v.bytesValue);
  return null;
}

function attrs(list) {
  const o = {};
  for (const kv of list || []) o[kv.key] = anyValue(kv.value);
  return o;
}

// Converts OTLP/JSON (hex ids) to a decoder message.
function fromJson(text) {
  const obj = JSON.parse(text);
  for (const rs of obj.resourceSpans || []) {
    for (const ss of rs.scopeSpans || []) {
      for (const sp of ss.spans || []) {
        sp.traceId = hexToBytes('traceId', sp.traceId, 16, true);
        sp.spanId = hexToBytes('spanId', sp.spanId, 8, true);
        const p = hexToBytes('parentSpanId', sp.parentSpanId, 8, false);
        if (p) sp.parentSpanId = p; else delete sp.parentSpanId;
      }
    }
  }
  const message = Req.fromObject(obj);
  const err = Req.verify(message);
  if (err) throw new Error(`verify: ${err}`);
  return message;
}

// What the decoder read, for --echo.
function reading(message, body, ct) {
  const request = Req.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false });
  for (const rs of request.resourceSpans || []) {
    for (const ss of rs.scopeSpans || []) {
      for (const sp of ss.spans || []) {
        for (const id of ['traceId', 'spanId', 'parentSpanId']) if (id in sp) sp[id] = b64ToHex(sp[id]);
      }
    }
  }
  const out = { request };
  if (ct === 'application/x-protobuf') out.reencodedIdentically = Buffer.from(Req.encode(message).finish()).equals(body);
  return out;
}

function spansOf(message) {
  const plain = Req.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false });
  const spans = [];
  for (const rs of plain.resourceSpans || []) {
    const resource = attrs(rs.resource && rs.resource.attributes);
    for (const ss of rs.scopeSpans || []) {
      const scope = ss.scope || {};
      for (const sp of ss.spans || []) {
        const traceId = b64ToHex(sp.traceId);
        const spanId = b64ToHex(sp.spanId);
        const parentSpanId = b64ToHex(sp.parentSpanId);
        if (traceId.length !== 32) throw new Error(`traceId has ${traceId.length / 2} bytes`);
        if (spanId.length !== 16) throw new Error(`spanId has ${spanId.length / 2} bytes`);
        if (parentSpanId.length !== 0 && parentSpanId.length !== 16) {
          throw new Error(`parentSpanId has ${parentSpanId.length / 2} bytes`);
        }
        spans.push({
          type: 'span',
          traceId, spanId, parentSpanId,
          traceState: sp.traceState || '',
          name: sp.name || '',
          kind: sp.kind || 0,
          startTimeUnixNano: String(sp.startTimeUnixNano || '0'),
          endTimeUnixNano: String(sp.endTimeUnixNano || '0'),
          attributes: attrs(sp.attributes),
          events: (sp.events || []).map((e) => ({ name: e.name, timeUnixNano: String(e.timeUnixNano || '0'), attributes: attrs(e.attributes) })),
          status: { code: (sp.status && sp.status.code) || 0, message: (sp.status && sp.status.message) || '' },
          resource,
          scope: { name: scope.name || '', version: scope.version || '' },
        });
      }
    }
  }
  return spans;
}

let answered = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const ct = String(req.headers['content-type'] || '').split(';')[0].trim();
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    if (opts.respond !== null && answered < opts.respondCount) {
      answered++;
      const headers = opts.retryAfter !== null ? { 'Retry-After': opts.retryAfter } : {};
      emit({ type: 'request', contentType: ct, status: opts.respond, spans: 0, headers: req.headers });
      res.writeHead(opts.respond, headers).end();
      return;
    }
    let spans;
    let echo;
    try {
      let message;
      if (ct === 'application/x-protobuf') message = Req.decode(body);
      else if (ct === 'application/json') message = fromJson(strictUtf8.decode(body));
      else throw new Error(`unsupported content-type ${JSON.stringify(ct)}`);
      if (opts.echo) echo = JSON.stringify(reading(message, body, ct));
      else spans = spansOf(message);
    } catch (e) {
      emit({ type: 'error', message: String(e && e.message ? e.message : e) });
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end(String(e));
      return;
    }
    if (opts.echo) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(echo);
      return;
    }
    emit({ type: 'request', contentType: ct, status: 200, spans: spans.length, headers: req.headers });
    for (const s of spans) emit(s);
    if (ct === 'application/json') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    } else {
      const payload = Buffer.from(Resp.encode(Resp.create({})).finish());
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end(payload);
    }
  });
});

server.listen(opts.port, '127.0.0.1', () => {
  const port = server.address().port;
  if (opts.portFile) {
    fs.writeFileSync(`${opts.portFile}.tmp`, String(port));
    fs.renameSync(`${opts.portFile}.tmp`, opts.portFile);
  } else {
    console.error(`otlp-receiver listening on 127.0.0.1:${port}`);
  }
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
