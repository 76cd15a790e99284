// The tables `maille run` prints: who runs where, and how a person reaches the gateways.
import { listenerUrl } from './gateway-listeners.js';
import type { GatewayPorts } from './run-mesh.js';

/** Rows padded into columns two spaces apart; the first row is the header. */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd());
}

/** One row per gateway listener: its URL, the Gateway port it serves and the hosts it accepts. */
export function formatGatewayTable(gateways: readonly GatewayPorts[]): string[] {
  if (gateways.length === 0) return [];
  const rows = [['GATEWAY', 'IDENTITY', 'URL', 'GATEWAY PORT', 'HOSTS', 'ADMIN']];
  for (const g of gateways) {
    if (g.listeners.length === 0) {
      const labels = Object.entries(g.labels).map(([k, v]) => `${k}=${v}`).join(',');
      rows.push([g.id, g.identity, `- (no Gateway selects ${labels})`, '-', '-', String(g.admin)]);
    }
    for (const l of g.listeners) rows.push([g.id, g.identity, listenerUrl(l), l.gatewayPorts.join(',') || '-', l.hosts.join(',') || '-', String(g.admin)]);
  }
  return alignColumns(rows);
}
