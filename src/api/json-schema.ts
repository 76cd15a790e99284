// The OpenAPI v3 schema of each kind, for Kubernetes CRDs (`maille install --crds`).
//
// TypeBox schemas are JSON Schema already, but Kubernetes accepts only a "structural" subset, so
// this rewrites rather than copies:
// - every node keeps a type; anyOf/oneOf may only add validations, never types or properties:
//   an enum union becomes `enum`, a "one of these keys" union becomes one object with all the
//   keys plus `oneOf: [{required: [k]}…]` (how Istio's own CRDs state a oneof);
// - `additionalProperties: false` is not allowed next to `properties` (Kubernetes prunes unknown
//   fields, and rejects them with kubectl's strict field validation, the default);
// - maps become `additionalProperties: <value schema>`; patternProperties are not supported;
// - free-form values (status) are `x-kubernetes-preserve-unknown-fields`, nothing else is;
// - TypeBox's symbols and maille's own keys (the EXPECTED error wording) are dropped.
import { KindGuard, type TSchema } from '@sinclair/typebox';
import { findKind } from './kinds.js';

/** The JSON Schema subset Kubernetes reads in a CRD (apiextensions.k8s.io/v1 JSONSchemaProps). */
export interface CrdSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, CrdSchema>;
  required?: string[];
  additionalProperties?: CrdSchema;
  items?: CrdSchema;
  enum?: (string | number | boolean)[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  oneOf?: CrdSchema[];
  not?: CrdSchema;
  anyOf?: CrdSchema[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** The openAPIV3Schema of the CRD for `kind` (any name findKind accepts). Throws for an unknown kind. */
export function crdSchemaFor(kind: string): CrdSchema {
  const info = findKind(kind);
  if (!info) throw new Error(`no such kind: ${kind}`);
  const spec = info.schema.properties.spec;
  return {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      // Kubernetes validates metadata itself; a CRD may not constrain it.
      metadata: { type: 'object' },
      spec: toCrd(spec),
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
    required: ['spec'],
  };
}

const VALIDATIONS = ['pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems'] as const;

function toCrd(schema: TSchema): CrdSchema {
  const out: CrdSchema = {};
  if (typeof schema.description === 'string') out.description = schema.description;
  for (const key of VALIDATIONS) if (schema[key] !== undefined) (out as Record<string, unknown>)[key] = schema[key];

  if (KindGuard.IsLiteral(schema)) return { ...out, type: typeOf(schema.const), enum: [schema.const] };
  if (KindGuard.IsUnion(schema)) return { ...union(schema.anyOf), ...out };
  if (KindGuard.IsString(schema)) return { ...out, type: 'string' };
  if (KindGuard.IsInteger(schema)) return { ...out, type: 'integer' };
  if (KindGuard.IsNumber(schema)) return { ...out, type: 'number' };
  if (KindGuard.IsBoolean(schema)) return { ...out, type: 'boolean' };
  if (KindGuard.IsArray(schema)) return { ...out, type: 'array', items: toCrd(schema.items) };
  if (KindGuard.IsRecord(schema)) {
    const [values] = Object.values(schema.patternProperties);
    return { ...out, type: 'object', additionalProperties: toCrd(values) };
  }
  if (KindGuard.IsObject(schema)) {
    const properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, toCrd(v)]));
    const required = schema.required ?? [];
    return { ...out, type: 'object', properties, ...(required.length > 0 ? { required: [...required] } : {}) };
  }
  if (KindGuard.IsUnknown(schema)) return { ...out, 'x-kubernetes-preserve-unknown-fields': true };
  throw new Error(`no CRD form for a ${schema.type ?? 'untyped'} schema`);
}

function typeOf(value: unknown): 'string' | 'integer' | 'number' | 'boolean' {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  return Number.isInteger(value) ? 'integer' : 'number';
}

function union(variants: TSchema[]): CrdSchema {
  if (variants.every((v) => KindGuard.IsLiteral(v))) {
    const values = variants.map((v) => v.const as string | number | boolean);
    const types = new Set(values.map(typeOf));
    if (types.size === 1) return { type: [...types][0], enum: values };
  }
  if (variants.every((v) => KindGuard.IsObject(v))) {
    // One object with every variant's keys; oneOf says which combinations are allowed.
    const properties: Record<string, CrdSchema> = {};
    for (const v of variants) for (const [k, p] of Object.entries(v.properties)) properties[k] ??= toCrd(p);
    const choices = variants.map((v) => v.required ?? []).filter((r) => r.length > 0);
    const oneOf: CrdSchema[] = choices.map((r) => ({ required: [...r] }));
    // A variant with no required key (e.g. `{}` = "header present") allows none of the others.
    if (choices.length < variants.length) oneOf.unshift({ not: { anyOf: choices.map((r) => ({ required: [...r] })) } });
    return { type: 'object', properties, ...(oneOf.length > 0 ? { oneOf } : {}) };
  }
  throw new Error('no CRD form for a union of mixed schemas');
}
