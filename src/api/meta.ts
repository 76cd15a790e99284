// The Kubernetes envelope every kind shares: apiVersion, kind, metadata, spec, status.
//
// Resources come from files users write by hand and from `kubectl get -o yaml` exports, so the
// server-written metadata fields (uid, resourceVersion, managedFields…) and `status` are accepted
// and ignored; anything else unknown is still an error.
import { Type, type Static, type TLiteral, type TObject, type TSchema } from '@sinclair/typebox';
import { Enum, NonEmpty, Opt, Pattern, Strict, StringMap } from './schema.js';

/** Namespace of a resource that names none, as kubectl assumes. */
export const DEFAULT_NAMESPACE = 'default';

// RFC 1123, as Kubernetes checks object names (subdomain) and namespaces (label).
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

export const ObjectNameSchema = Pattern(
  DNS_SUBDOMAIN,
  'a lowercase RFC 1123 name: letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters',
  { maxLength: 253 },
);
export const NamespaceNameSchema = Pattern(
  DNS_LABEL,
  'a lowercase RFC 1123 label: letters, digits and "-", starting and ending with a letter or digit, at most 63 characters',
  { maxLength: 63 },
);

/** Written by the API server; tolerated in exported YAML, never read. */
const ServerWritten = () => Opt(Type.Unknown({ description: 'set by the Kubernetes API server; ignored' }));

export const ObjectMetaSchema = Strict({
  name: ObjectNameSchema,
  namespace: Opt(NamespaceNameSchema),
  labels: Opt(StringMap()),
  annotations: Opt(StringMap()),
  uid: ServerWritten(),
  resourceVersion: ServerWritten(),
  generation: ServerWritten(),
  creationTimestamp: ServerWritten(),
  deletionTimestamp: ServerWritten(),
  deletionGracePeriodSeconds: ServerWritten(),
  managedFields: ServerWritten(),
  ownerReferences: ServerWritten(),
  finalizers: ServerWritten(),
  generateName: ServerWritten(),
  selfLink: ServerWritten(),
});
export type ObjectMeta = Static<typeof ObjectMetaSchema>;

/** The schema of a whole resource of `kind`, served under `apiVersions` (the first is preferred). */
export function resourceSchema<K extends string, V extends string, S extends TSchema>(
  kind: K,
  apiVersions: readonly V[],
  spec: S,
): TObject<{
  apiVersion: ReturnType<typeof Enum<V>>;
  kind: TLiteral<K>;
  metadata: typeof ObjectMetaSchema;
  spec: S;
  status: ReturnType<typeof ServerWritten>;
}> {
  return Strict({
    apiVersion: Enum(apiVersions),
    kind: Type.Literal(kind),
    metadata: ObjectMetaSchema,
    spec,
    // Written by controllers (Istio's validation status, Gateway API conditions); ignored.
    status: ServerWritten(),
  });
}

/**
 * A resource as validateResource returns it: `status` dropped (it is not configuration) and the
 * namespace filled in, so nothing downstream guesses the default.
 */
export type Stored<T extends { metadata: ObjectMeta }> = Omit<T, 'status' | 'metadata'> & {
  metadata: ObjectMeta & { namespace: string };
};

// ---------------------------------------------------------------------------------------------
// Selectors and references shared by several kinds.

/** Istio's WorkloadSelector (security kinds, DestinationRule): pods whose labels include these. */
export const WorkloadSelectorSchema = Strict({ matchLabels: Opt(StringMap('labels a workload must carry')) });

/** Istio's PolicyTargetReference: a policy attached to a Gateway or Service instead of a selector. */
export const PolicyTargetReferenceSchema = Strict({
  group: Opt(Type.String()),
  kind: NonEmpty('e.g. Gateway, Service'),
  name: NonEmpty(),
  namespace: Opt(Type.String()),
});
