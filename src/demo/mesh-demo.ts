// `maille demo`: the demo mesh (bookinfo) under `maille run` machinery (control plane, sidecars with mTLS,
// Istio routing) plus a traffic generator through productpage's sidecar.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResources } from '../api/load.js';
import { formatWorkloadTable, runMesh } from '../local/run-mesh.js';
import { demoMeshYaml } from './demo-mesh.js';
import { startTraffic } from './traffic.js';

export interface DemoOptions {
  rps: number;
  /** Stop after this many seconds (0: until stopped). */
  durationSec: number;
  stateDir: string | undefined;
  controlPlanePort: number;
  out(line: string): void;
}

export async function runDemo(opts: DemoOptions, stop: Promise<void>): Promise<void> {
  const resources = parseResources(demoMeshYaml(), 'demo mesh');
  const mesh = await runMesh({
    resources,
    stateDir: opts.stateDir ?? mkdtempSync(join(tmpdir(), 'maille-demo-')),
    trustDomain: 'cluster.local',
    rootNamespace: 'istio-system',
    controlPlanePort: opts.controlPlanePort,
    out: opts.out,
  });
  let stopTraffic: (() => void) | undefined;
  try {
    formatWorkloadTable(mesh.workloads, mesh.controlPlane.port).forEach((l) => opts.out(l));
    const pp = mesh.workloads.find((w) => w.service === 'productpage')!;
    // Start the traffic once every sidecar has its configuration (ACKed), not before.
    const deadline = Date.now() + 30_000;
    const synced = (): number => mesh.controlPlane.status().filter((p) => p.state === 'synced').length;
    while (synced() < mesh.workloads.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500)); // endpoints of late joiners reach the others
    opts.out(`try: curl -x http://127.0.0.1:${pp.outbound} http://productpage:9080/`);
    opts.out(`     curl -x http://127.0.0.1:${pp.outbound} -H 'end-user: jason' http://productpage:9080/`);
    opts.out(`     curl http://127.0.0.1:${pp.admin}/stats/prometheus`);
    stopTraffic = startTraffic({
      proxyPort: pp.outbound,
      url: 'http://productpage:9080/',
      rps: opts.rps,
      jasonEvery: 10,
      versionOf: (body) => {
        const reviews = (JSON.parse(body) as { reviews?: { version?: string } }).reviews;
        return reviews ? `reviews-${reviews.version ?? '?'}` : 'reviews unavailable';
      },
      out: opts.out,
    });
    const limit = opts.durationSec > 0 ? new Promise<void>((r) => setTimeout(r, opts.durationSec * 1000)) : new Promise<void>(() => {});
    await Promise.race([stop, limit]);
  } finally {
    stopTraffic?.();
    await mesh.stop();
    opts.out('demo stopped');
  }
}
