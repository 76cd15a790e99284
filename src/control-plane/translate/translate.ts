// translate: resources + registry → the snapshot of one proxy. A pure function: no I/O, no
// clock, no randomness; output ordered so the same input always gives the same snapshot (and
// version). Configuration that validated never makes it throw: what cannot be applied as
// written is resolved deterministically and reported in `warnings`.
import type { Listener, RouteConfig } from '../../model/snapshot.js';
import { createContext } from './context.js';
import { gatewayParts } from './gateway.js';
import { inboundParts } from './sidecar-inbound.js';
import { outboundListener, outboundRouteConfig } from './sidecar-outbound.js';
import type { GatewayNode, SidecarNode, TranslateInput, TranslateResult } from './types.js';
import type { Context } from './context.js';
import { contentVersion } from './version.js';

export function translate(input: TranslateInput): TranslateResult {
  const ctx = createContext(input);
  const { listeners, routeConfigs } = input.proxy.kind === 'sidecar' ? sidecar(ctx, input.proxy) : gateway(ctx, input.proxy);
  // Last: building listeners and routes is what decides which clusters are needed.
  const clusters = ctx.clusters.build();
  const content = { listeners, routeConfigs, clusters };
  return { snapshot: { version: contentVersion(content), ...content }, warnings: ctx.warnings.list() };
}

function sidecar(ctx: Context, node: SidecarNode): { listeners: Listener[]; routeConfigs: RouteConfig[] } {
  const listeners: Listener[] = [outboundListener(node)];
  const routeConfigs = [outboundRouteConfig(ctx, node)];
  const inbound = inboundParts(ctx, node);
  if (inbound) {
    listeners.push(inbound.listener);
    if (inbound.routeConfig) routeConfigs.push(inbound.routeConfig);
  }
  return { listeners, routeConfigs };
}

function gateway(ctx: Context, node: GatewayNode): { listeners: Listener[]; routeConfigs: RouteConfig[] } {
  return gatewayParts(ctx, node);
}
