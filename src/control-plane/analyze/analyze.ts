// maille analyze: files in, findings out. Pure (no I/O): the command reads the files.
//
// Schema problems come first-hand from the loader; cross-checks run on the resources that
// validated. Checks that compare against the Mesh (unknown hosts, selectors, translate) need one:
// without a Mesh among the files (Istio YAML checked on its own) nothing is known to exist.
import type { Mesh } from '../../api/mesh.js';
import type { ServiceEntry } from '../../api/service-entry.js';
import { conflictFindings } from './conflicts.js';
import { gatewayFindings } from './gateways.js';
import { readResources } from './read.js';
import { referenceFindings } from './references.js';
import { selectorFindings } from './selectors.js';
import { translateFindings } from './translate-warnings.js';
import { DEFAULT_OPTIONS, type AnalyzeOptions, type Finding, type Located } from './types.js';
import { weightFindings } from './weights.js';
import { World } from './world.js';

export interface SourceFile {
  readonly file: string;
  readonly text: string;
}

export function analyze(files: readonly SourceFile[], options: AnalyzeOptions = DEFAULT_OPTIONS): Finding[] {
  const resources: Located[] = [];
  const findings: Finding[] = [];
  const invalid = new Set<string>();
  for (const { file, text } of files) {
    const read = readResources(text, file);
    resources.push(...read.resources);
    findings.push(...read.findings);
    read.invalidKinds.forEach((k) => invalid.add(k));
  }
  const of = <R extends Located>(kind: string) => resources.filter((l) => l.resource.kind === kind) as R[];
  const meshes = of<Located<Mesh>>('Mesh');
  // A broken Mesh or ServiceEntry (or an unreadable document) may declare what a reference names.
  const known = meshes.length > 0 && !['Mesh', 'ServiceEntry', '*'].some((k) => invalid.has(k));
  const world = new World(meshes, of<Located<ServiceEntry>>('ServiceEntry'), known);

  findings.push(
    ...referenceFindings(world, resources, !invalid.has('DestinationRule') && !invalid.has('*')),
    ...conflictFindings(resources, world.namespaces(), options),
    ...selectorFindings(world, resources, options),
    ...gatewayFindings(world, resources, !invalid.has('Gateway') && !invalid.has('*')),
    ...weightFindings(resources),
  );
  // translate reports some of the same things in its own words; the analyzer's finding, which
  // says what to do, is kept.
  const taken = new Set(findings.map(key));
  findings.push(...translateFindings(world, resources, options).filter((f) => !taken.has(key(f))));
  return sortFindings(findings, files);
}

function key(f: Finding): string {
  return `${f.resource}|${f.path}`;
}

/** By file (in the order given), document, line; otherwise as found. */
function sortFindings(findings: Finding[], files: readonly SourceFile[]): Finding[] {
  const fileIndex = new Map(files.map((f, i) => [f.file, i]));
  const n = (v: number | null | undefined) => v ?? -1;
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => n(fileIndex.get(a.f.file)) - n(fileIndex.get(b.f.file)) || n(a.f.document) - n(b.f.document) || n(a.f.line) - n(b.f.line) || a.i - b.i)
    .map(({ f }) => f);
}
