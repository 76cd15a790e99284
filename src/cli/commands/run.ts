// `maille run -f mesh.yaml [-f more.yaml]`: starts the control plane, every workload with its
// sidecar, the gateways, and prints who runs where; Ctrl-C stops everything (DESIGN.md §3).
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatOptions, parseArgs, type OptionSpecs } from '../args.js';
import type { Command } from '../command.js';
import { nextSignal } from './proxy.js';

const options = {
  file: { type: 'string', valueName: 'FILE', short: 'f', required: true, description: 'mesh file (a Mesh plus Istio / Gateway API resources)' },
  'state-dir': { type: 'string', valueName: 'DIR', default: '.maille', description: 'CA root and run files live here' },
  'trust-domain': { type: 'string', valueName: 'DOMAIN', default: 'cluster.local', description: 'SPIFFE trust domain' },
  'root-namespace': { type: 'string', valueName: 'NS', default: 'istio-system', description: 'namespace of mesh-wide configuration' },
  'control-plane-port': { type: 'integer', valueName: 'N', min: 0, max: 65535, default: 15012, description: 'discovery and CA port; 0 picks a free one' },
} as const satisfies OptionSpecs;

export const command: Command = {
  help: () => ['usage: maille run -f mesh.yaml [options]', '', 'Runs a whole mesh on this machine: control plane, workloads and their sidecars, gateways.', '', ...formatOptions(options)],

  async run(argv, ctx) {
    const { options: o } = parseArgs(argv, options);
    const { parseResources } = await import('../../api/load.js');
    const { runMesh, formatWorkloadTable } = await import('../../local/run-mesh.js');
    const { formatGatewayTable } = await import('../../local/tables.js');
    let text: string;
    try {
      text = readFileSync(o.file, 'utf8');
    } catch (err) {
      throw new Error(`${o.file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const resources = parseResources(text, o.file);
    const stop = nextSignal(ctx.signals);
    const mesh = await runMesh({
      resources,
      stateDir: o['state-dir'],
      trustDomain: o['trust-domain'],
      rootNamespace: o['root-namespace'],
      controlPlanePort: o['control-plane-port'],
      meshFile: o.file,
      baseDir: dirname(o.file),
      out: (l) => ctx.out(l),
    });
    formatWorkloadTable(mesh.workloads, mesh.controlPlane.port).forEach((l) => ctx.out(l));
    formatGatewayTable(mesh.gateways).forEach((l) => ctx.out(l));
    ctx.out(`configuration API ${mesh.controlPlane.apiUrl} (maille apply/get/delete/proxy-status --state-dir ${o['state-dir']})`);
    const signal = await stop.promise;
    ctx.out(`${signal}: stopping`);
    await mesh.stop();
    return 0;
  },
};
