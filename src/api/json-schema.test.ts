// The CRD schemas must be "structural" (Kubernetes refuses others) and must accept exactly what
// the validator accepts: a resource that passes `maille analyze` must pass `kubectl apply`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { TASK_YAML } from './fixtures.js';
import { crdSchemaFor, type CrdSchema } from './json-schema.js';
import { findKind, KINDS } from './kinds.js';
import { parseResources } from './load.js';

/** Every node of a schema with its path, for structural rules. */
function* nodes(s: CrdSchema, path = '$'): Generator<[string, CrdSchema]> {
  yield [path, s];
  for (const [k, v] of Object.entries(s.properties ?? {})) yield* nodes(v, `${path}.${k}`);
  if (s.items) yield* nodes(s.items, `${path}[]`);
  if (s.additionalProperties) yield* nodes(s.additionalProperties, `${path}{}`);
}

/** Kubernetes' checks on a CRD schema that a careless conversion would break. */
function structuralViolations(schema: CrdSchema): string[] {
  const out: string[] = [];
  const junctorsOnlyValidate = (s: CrdSchema): boolean =>
    Object.keys(s).every((k) => k === 'required' || k === 'not' || k === 'anyOf') &&
    (s.not === undefined || junctorsOnlyValidate(s.not)) &&
    (s.anyOf ?? []).every(junctorsOnlyValidate);
  for (const [path, s] of nodes(schema)) {
    const keys = Object.keys(s);
    if (Object.getOwnPropertySymbols(s).length > 0) out.push(`${path}: TypeBox symbols`);
    if (s.type === undefined && !s['x-kubernetes-preserve-unknown-fields']) out.push(`${path}: no type`);
    if (s['x-kubernetes-preserve-unknown-fields'] && path !== '$.status') out.push(`${path}: free-form outside status`);
    for (const k of keys) if (['const', 'patternProperties', 'x-maille-expected', '$id', 'static', 'params'].includes(k)) out.push(`${path}: key ${k}`);
    if (s.properties && s.additionalProperties) out.push(`${path}: properties with additionalProperties`);
    for (const j of [...(s.oneOf ?? []), ...(s.anyOf ?? [])]) if (!junctorsOnlyValidate(j)) out.push(`${path}: oneOf/anyOf declares more than required`);
  }
  return out;
}

/** What the API server checks of a value against a CRD schema, strict field validation on. */
function crdErrors(s: CrdSchema, v: unknown, path = '$'): string[] {
  if (s['x-kubernetes-preserve-unknown-fields'] && s.type === undefined) return [];
  if (path === '$.metadata') return []; // validated by the API server itself
  const kind = Array.isArray(v) ? 'array' : v === null ? 'null' : Number.isInteger(v) ? 'integer' : typeof v;
  const typeOk = s.type === kind || (s.type === 'number' && kind === 'integer');
  if (!typeOk) return [`${path}: ${kind} is not ${s.type}`];
  const out: string[] = [];
  if (s.enum && !s.enum.includes(v as string)) out.push(`${path}: not in enum`);
  if (typeof v === 'string') {
    if (s.pattern && !new RegExp(s.pattern).test(v)) out.push(`${path}: pattern`);
    if (v.length < (s.minLength ?? 0) || v.length > (s.maxLength ?? Infinity)) out.push(`${path}: length`);
  }
  if (typeof v === 'number' && (v < (s.minimum ?? -Infinity) || v > (s.maximum ?? Infinity))) out.push(`${path}: range`);
  if (Array.isArray(v)) {
    if (v.length < (s.minItems ?? 0)) out.push(`${path}: too few items`);
    v.forEach((item, i) => out.push(...crdErrors(s.items ?? {}, item, `${path}[${i}]`)));
  }
  if (kind === 'object' && !s['x-kubernetes-preserve-unknown-fields']) {
    const obj = v as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in obj)) out.push(`${path}.${r}: required`);
    for (const [k, val] of Object.entries(obj)) {
      const sub = s.properties?.[k] ?? s.additionalProperties;
      if (sub === undefined) out.push(`${path}.${k}: unknown field`);
      else out.push(...crdErrors(sub, val, `${path}.${k}`));
    }
    const matches = (c: CrdSchema): boolean =>
      (c.required ?? []).every((r) => r in obj) && (c.not === undefined || !matches(c.not)) && (c.anyOf === undefined || c.anyOf.some(matches));
    if (s.oneOf && s.oneOf.filter(matches).length !== 1) out.push(`${path}: oneOf`);
  }
  return out;
}

describe('crdSchemaFor', () => {
  for (const { kind } of KINDS) {
    it(`${kind}: a structural schema`, () => {
      const schema = crdSchemaFor(kind);
      assert.deepEqual(structuralViolations(schema), []);
      assert.deepEqual(JSON.parse(JSON.stringify(schema)), schema, 'plain JSON');
    });
  }

  it('accepts every task resource, as the validator does', () => {
    for (const [name, yaml] of Object.entries(TASK_YAML)) {
      assert.doesNotThrow(() => parseResources(yaml, name));
      for (const doc of yaml.split(/^---$/m).map((d) => parse(d) as { kind: string })) {
        assert.deepEqual(crdErrors(crdSchemaFor(doc.kind), doc), [], `${name}: ${doc.kind}`);
      }
    }
  });

  it('refuses what the validator refuses: enums, patterns, oneofs, unknown fields', () => {
    const vs = crdSchemaFor('VirtualService');
    const resource = (http: unknown) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {}, spec: { hosts: ['r'], http } });
    const route = [{ destination: { host: 'r' } }];
    assert.deepEqual(crdErrors(vs, resource([{ route, timeout: '1 s' }])), ['$.spec.http[0].timeout: pattern']);
    assert.deepEqual(crdErrors(vs, resource([{ route, tmeout: '1s' }])), ['$.spec.http[0].tmeout: unknown field']);
    assert.deepEqual(crdErrors(vs, resource([{ route, match: [{ uri: { exact: '/', prefix: '/' } }] }])), ['$.spec.http[0].match[0].uri: oneOf']);
    assert.deepEqual(crdErrors(vs, resource([{ route, match: [{ headers: { 'end-user': {} } }] }])), [], '{} means "present"');
    assert.deepEqual(crdErrors(crdSchemaFor('pa'), { spec: { mtls: { mode: 'strict' } } }), ['$.spec.mtls.mode: not in enum']);
  });

  it('states a oneof as Istio does', () => {
    const uri = crdSchemaFor('VirtualService').properties?.spec.properties?.http.items?.properties?.match.items?.properties?.uri;
    assert.deepEqual(uri, {
      type: 'object',
      properties: { exact: { type: 'string' }, prefix: { type: 'string' }, regex: { type: 'string', description: 'RE2 syntax; must match the whole value' } },
      oneOf: [{ required: ['exact'] }, { required: ['prefix'] }, { required: ['regex'] }],
      description: 'exactly one of exact, prefix, regex',
    });
  });

  it('has the envelope Kubernetes expects', () => {
    const schema = crdSchemaFor('dr');
    assert.deepEqual(Object.keys(schema.properties ?? {}), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    assert.deepEqual(schema.properties?.metadata, { type: 'object' });
    assert.deepEqual(schema.properties?.status, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    assert.deepEqual(schema.required, ['spec']);
  });

  it('throws for a kind it does not know', () => {
    assert.throws(() => crdSchemaFor('Sidecar'), { message: 'no such kind: Sidecar' });
  });
});

describe('findKind', () => {
  it('accepts the names kubectl accepts', () => {
    for (const name of ['VirtualService', 'virtualservice', 'virtualservices', 'vs', 'VS']) assert.equal(findKind(name)?.kind, 'VirtualService');
    assert.equal(findKind('httproutes')?.group, 'gateway.networking.k8s.io');
    assert.deepEqual(findKind('ap')?.apiVersions, ['security.istio.io/v1', 'security.istio.io/v1beta1']);
    assert.equal(findKind('sidecar'), undefined);
  });
});
