// A quick self-test of server.mjs (no test framework): `node tests/fhir-server/check.mjs`.
// Starts the server as a child, seeds generated patients and checks each behaviour the Rust
// tests rely on. Exits non-zero on the first failure.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generate } from '../fixtures/synthea.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const STATIC = 'static-test-token';
const CLIENT_ID = 'portico-test-client';
const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS384', use: 'sig' };
// A second key, EC P-384 for ES384, registered beside it as a JWK Set.
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ecJwk = { ...ec.publicKey.export({ format: 'jwk' }), kid: 'k2', alg: 'ES384', use: 'sig' };

const child = spawn(process.execPath, [path.join(here, 'server.mjs')], {
  env: { ...process.env, PORT: '0', FHIR_BEARER_TOKEN: STATIC, FHIR_CLIENT_ID: CLIENT_ID, FHIR_CLIENT_JWK: JSON.stringify({ keys: [jwk, ecJwk] }) },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const firstLine = await new Promise((resolve, reject) => {
  const rl = readline.createInterface({ input: child.stdout });
  rl.once('line', resolve);
  child.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
});
const { port } = JSON.parse(firstLine);
const origin = `http://127.0.0.1:${port}`;
const base = `${origin}/fhir/R4`;
let failed = false;

async function call(method, url, { token = STATIC, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/fhir+json';
  const res = await fetch(url.startsWith('http') ? url : `${base}/${url}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}
const control = async (name, body, method = 'POST') => {
  const res = await fetch(`${origin}/$control/${name}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return res.json();
};

function assertion(claims, key = privateKey, alg = 'RS384') {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg, typ: 'JWT', kid: alg === 'ES384' ? 'k2' : 'k1' };
  const payload = { iss: CLIENT_ID, sub: CLIENT_ID, aud: `${origin}/auth/token`, exp: now + 240, jti: crypto.randomUUID(), ...claims };
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signingInput = `${enc(header)}.${enc(payload)}`;
  const signer = alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key;
  const sig = crypto.sign('sha' + alg.slice(2), Buffer.from(signingInput), signer).toString('base64url');
  return { jwt: `${signingInput}.${sig}`, jti: payload.jti };
}
async function tokenRequest(jwt, scope = 'system/*.read') {
  const res = await fetch(`${origin}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
    }),
  });
  return { status: res.status, body: await res.json() };
}

async function check(name, fn) {
  const t = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - t} ms)`);
  } catch (err) {
    failed = true;
    console.log(`FAIL ${name}\n${err?.stack ?? err}`);
  }
}

try {
  await check('metadata: CapabilityStatement 4.0.1 with resources and SMART token endpoint', async () => {
    const r = await call('GET', 'metadata', { token: null });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/fhir\+json/);
    assert.equal(r.body.resourceType, 'CapabilityStatement');
    assert.equal(r.body.fhirVersion, '4.0.1');
    const types = r.body.rest[0].resource.map((x) => x.type);
    for (const t of ['Patient', 'Practitioner', 'Location', 'Appointment', 'Encounter', 'Observation', 'DiagnosticReport', 'MedicationRequest', 'AllergyIntolerance', 'Condition', 'Immunization', 'DocumentReference', 'Task']) {
      assert.ok(types.includes(t), t);
    }
    const oauth = r.body.rest[0].security.extension.find((e) => e.url.endsWith('/oauth-uris'));
    assert.equal(oauth.extension.find((e) => e.url === 'token').valueUri, `${origin}/auth/token`);
    const smart = await call('GET', '.well-known/smart-configuration', { token: null });
    assert.equal(smart.status, 200);
    assert.equal(smart.body.token_endpoint, `${origin}/auth/token`);
  });

  await check('401 without a token, and with a wrong one', async () => {
    assert.equal((await call('GET', 'Patient', { token: null })).status, 401);
    assert.equal((await call('GET', 'Patient', { token: 'nope' })).status, 401);
  });

  const t0 = new Date(Date.now() - 1).toISOString();
  const bundle = generate({ patients: 3, seed: 42, prefix: 'c-' });
  await check('seed 3 generated patients keeps their ids; static token works', async () => {
    const r = await control('seed', bundle);
    assert.equal(r.created, bundle.entry.length);
    const p = await call('GET', 'Patient/c-pat-0002');
    assert.equal(p.status, 200);
    assert.equal(p.body.id, 'c-pat-0002');
    assert.ok(p.body.meta.versionId);
    assert.equal(p.headers.get('etag'), `W/"${p.body.meta.versionId}"`);
    const obs = await call('GET', 'Observation?patient=Patient/c-pat-0002&_count=100');
    assert.ok(obs.body.total >= 4, 'observations for the patient');
    assert.ok(obs.body.entry.every((e) => e.resource.subject.reference === 'Patient/c-pat-0002'));
  });

  await check('SMART backend services token (RS384, ES384); reused jti and bad claims refused', async () => {
    const { jwt } = assertion({});
    const ok = await tokenRequest(jwt, 'system/*.read');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.token_type, 'bearer');
    assert.equal(ok.body.expires_in, 300);
    assert.equal(ok.body.scope, 'system/*.read');
    assert.equal((await call('GET', 'Patient/c-pat-0001', { token: ok.body.access_token })).status, 200);
    const again = await tokenRequest(jwt);
    assert.equal(again.status, 401);
    assert.equal(again.body.error, 'invalid_client');
    assert.equal((await tokenRequest(assertion({ aud: 'http://elsewhere/token' }).jwt)).status, 401);
    assert.equal((await tokenRequest(assertion({ exp: Math.floor(Date.now() / 1000) + 3600 }).jwt)).status, 401);
    assert.equal((await tokenRequest(assertion({ exp: Math.floor(Date.now() / 1000) - 10 }).jwt)).status, 401);
    assert.equal((await tokenRequest(assertion({ iss: 'someone-else' }).jwt)).status, 401);
    assert.equal((await tokenRequest(assertion({ jti: undefined }).jwt)).status, 401);
    const es = await tokenRequest(assertion({}, ec.privateKey, 'ES384').jwt);
    assert.equal(es.status, 200, 'ES384 with the P-384 key: ' + JSON.stringify(es.body));
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assert.equal((await tokenRequest(assertion({}, other).jwt)).status, 401);
  });

  await check('search _lastUpdated=gt&_sort=_lastUpdated&_count=2 pages with absolute next links', async () => {
    let url = `Patient?_lastUpdated=gt${encodeURIComponent(t0)}&_sort=_lastUpdated&_count=2`;
    const ids = [];
    let pages = 0;
    let last = '';
    while (url) {
      const r = await call('GET', url);
      assert.equal(r.status, 200);
      assert.equal(r.body.type, 'searchset');
      for (const e of r.body.entry ?? []) {
        assert.ok(e.fullUrl.startsWith(`${base}/Patient/`));
        assert.ok(e.resource.meta.lastUpdated >= last, 'sorted by _lastUpdated');
        last = e.resource.meta.lastUpdated;
        ids.push(e.resource.id);
      }
      const next = r.body.link.find((l) => l.relation === 'next');
      if (next) assert.ok(next.url.startsWith(`${base}/Patient?`), next.url);
      url = next?.url;
      pages++;
    }
    assert.equal(pages, 2);
    assert.deepEqual(ids.sort(), ['c-pat-0001', 'c-pat-0002', 'c-pat-0003']);
    const none = await call('GET', `Patient?_lastUpdated=gt${encodeURIComponent(last)}`);
    assert.equal(none.body.total, 0, 'gt the newest lastUpdated (ms precision) is empty');
    const ge = await call('GET', `Patient?_lastUpdated=ge${encodeURIComponent(last)}`);
    assert.ok(ge.body.total >= 1, 'ge the newest lastUpdated includes it');
  });

  await check('create (201 + Location), update with If-Match: stale 412, current 200; vread', async () => {
    const c = await call('POST', 'Patient', { body: { resourceType: 'Patient', name: [{ family: 'Created' }] } });
    assert.equal(c.status, 201);
    assert.ok(c.headers.get('location').startsWith(`${base}/Patient/${c.body.id}/_history/`));
    const byPut = await call('PUT', 'Patient/c-put-1', { body: { resourceType: 'Patient', id: 'c-put-1' } });
    assert.equal(byPut.status, 201, 'update-as-create answers 201');
    assert.equal((await call('PUT', 'Patient/c-put-1', { body: { resourceType: 'Patient', id: 'c-put-1' } })).status, 200);
    const cur = await call('GET', 'Patient/c-pat-0001');
    const v1 = cur.body.meta.versionId;
    const changed = { ...cur.body, active: false };
    const stale = await call('PUT', 'Patient/c-pat-0001', { body: changed, headers: { 'If-Match': 'W/"not-the-version"' } });
    assert.equal(stale.status, 412);
    const good = await call('PUT', 'Patient/c-pat-0001', { body: changed, headers: { 'If-Match': `W/"${v1}"` } });
    assert.equal(good.status, 200);
    assert.notEqual(good.body.meta.versionId, v1);
    const again = await call('PUT', 'Patient/c-pat-0001', { body: changed, headers: { 'If-Match': `W/"${v1}"` } });
    assert.equal(again.status, 412, 'the old version is stale now');
    const vread = await call('GET', `Patient/c-pat-0001/_history/${v1}`);
    assert.equal(vread.status, 200);
    assert.equal(vread.body.active, true);
  });

  await check('DELETE, then 410 on read, and Patient/_history?_since= shows the deletion', async () => {
    const since = new Date(Date.now() - 1).toISOString();
    const d = await call('DELETE', 'Patient/c-pat-0003');
    assert.equal(d.status, 200);
    assert.equal((await call('GET', 'Patient/c-pat-0003')).status, 410);
    const h = await call('GET', `Patient/_history?_since=${encodeURIComponent(since)}`);
    assert.equal(h.status, 200);
    assert.equal(h.body.type, 'history');
    const del = h.body.entry.find((e) => e.request.method === 'DELETE');
    assert.ok(del, JSON.stringify(h.body));
    assert.equal(del.request.url, 'Patient/c-pat-0003');
    assert.equal(del.resource, undefined);
    assert.equal(del.fullUrl, `${base}/Patient/c-pat-0003`);
    assert.match(del.response.status, /^204/);
    const inst = await call('GET', 'Patient/c-pat-0003/_history');
    assert.equal(inst.body.entry[0].request.method, 'DELETE');
    console.log('     deleted entry:', JSON.stringify(del));
    const all = await call('GET', `Patient/_history?_since=${encodeURIComponent(t0)}&_count=2&_sort=_lastUpdated`);
    assert.ok(all.body.link.find((l) => l.relation === 'next').url.startsWith(`${base}/Patient/_history?`));
  });

  await check('transaction Bundle POST to the base resolves urn:uuid references', async () => {
    const tx = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: { resourceType: 'Patient', name: [{ family: 'Tx' }] }, request: { method: 'POST', url: 'Patient' } },
        {
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' } },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    const r = await call('POST', '', { body: tx });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.type, 'transaction-response');
    const obsLoc = r.body.entry[1].response.location;
    const obs = await call('GET', obsLoc.replace(/\/_history\/.*$/, ''));
    assert.match(obs.body.subject.reference, /^Patient\//);
  });

  await check('$control/mode: 503, delay, times; $control/requests', async () => {
    await control('mode', { status: 503 });
    assert.equal((await call('GET', 'Patient')).status, 503);
    await control('mode', {});
    assert.equal((await call('GET', 'Patient')).status, 200);
    await control('mode', { delayMs: 1200 });
    const t = Date.now();
    assert.equal((await call('GET', 'Patient/c-pat-0001')).status, 200);
    assert.ok(Date.now() - t >= 1200);
    await control('mode', { status: 429, retryAfter: 2, times: 1 });
    const limited = await call('GET', 'Patient');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '2');
    assert.equal((await call('GET', 'Patient')).status, 200);
    const log = await control('requests', undefined, 'GET');
    assert.ok(log.some((x) => x.method === 'PUT' && x.ifMatch === 'W/"not-the-version"' && x.authorization === true && x.status === 412));
    assert.ok(log.some((x) => x.authorization === false && x.status === 401));
    assert.ok(log.every((x) => typeof x.path === 'string' && x.path.startsWith('/')));
  });

  await check('$control/reset empties the repository', async () => {
    await control('reset');
    const r = await call('GET', 'Patient');
    assert.equal(r.body.total, 0);
    assert.equal((await call('GET', `Patient/_history?_since=${encodeURIComponent(t0)}`)).body.total, 0);
  });

  await check('seed 600 patients (timing)', async () => {
    let t = Date.now();
    const big = generate({ patients: 600, seed: 1 });
    const genMs = Date.now() - t;
    t = Date.now();
    const r = await control('seed', big);
    const seedMs = Date.now() - t;
    assert.equal(r.created, big.entry.length);
    t = Date.now();
    const page = await call('GET', `Observation?_lastUpdated=gt${encodeURIComponent(t0)}&_sort=_lastUpdated&_count=1000`);
    const searchMs = Date.now() - t;
    assert.equal(page.body.entry.length, 1000);
    t = Date.now();
    const one = await call('GET', 'Observation?patient=Patient/pat-0300');
    const patientSearchMs = Date.now() - t;
    assert.ok(one.body.total >= 4);
    console.log(
      `     600 patients = ${r.created} resources: generate ${genMs} ms, seed over HTTP ${seedMs} ms; ` +
        `Observation page of 1000 sorted ${searchMs} ms; Observation?patient= ${patientSearchMs} ms`
    );
  });
} finally {
  child.kill();
}
process.exit(failed ? 1 : 0);
