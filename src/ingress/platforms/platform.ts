/**
 * What a voice platform's webhook adapter provides. The router (./router.ts) finds the agent from the URL,
 * resolves the agent's signing secrets, hands the raw request to `verify`, keeps the verified body (sealed, in the
 * store), and only then hands it to `handle`: a request that fails verification never reaches the calls, so it
 * starts or changes nothing.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CountryCode } from 'libphonenumber-js';
import type { CallClient } from '../../calls/call-client';
import type { AgentConfig } from '../../config/agent-schema';
import type { Logger } from '../../observability/logger';
import type { MapOptions, MappingWarning } from '../../platforms/mapping';
import type { PlatformConfig } from '../../shared/agent-shapes';
import type { CallEvent } from '../../shared/call-events';
import type { PlatformName } from '../../shared/platform-names';
import type { ReplayGuard } from '../../store/replay-guard';

export interface PlatformRequest {
  /** The body exactly as received: signatures are computed over these bytes. */
  rawBody: Buffer;
  /** Lower-cased header names, as node gives them. */
  headers: IncomingHttpHeaders;
  /** The URL the platform called, as it saw it (the public base URL + path), for URL-signing schemes. */
  publicUrl: string;
  /** What follows /webhooks/<platform>/<agentId> in the path ('' or e.g. '/functions/lookup_order'). */
  subpath: string;
  query: Record<string, string>;
}

export interface PlatformContext {
  agent: AgentConfig;
  platform: PlatformConfig;
  calls: CallClient;
  log: Logger;
  /** Milliseconds since the epoch; injectable so signature windows are testable. */
  now: () => number;
  /** Request ids already delivered, for platforms whose signature leaves a replay window (JustCall). */
  replays?: ReplayGuard;
  /** This delivery's id: the platform's own where it sends one, else a digest of the body (./router.ts). */
  deliveryId: string;
}

export interface PlatformResponse {
  status: number;
  body?: unknown;
  /** Defaults to application/json. */
  contentType?: string;
  /** The call the delivery concerns, when it names one: its raw delivery is linked to it. Not sent. */
  callId?: string;
  /** What the mapping did not recognise; the router records them with the raw delivery. Not sent. */
  warnings?: MappingWarning[];
}

export interface PlatformAdapter {
  name: PlatformName;
  /**
   * Throws an HttpError (401) when the signature is missing or wrong or its timestamp is outside the
   * platform's window. `secrets` are the values of every secret the agent lists (rotation: old and new).
   */
  verify(req: PlatformRequest, secrets: string[], now: number): void;
  /** The platform's own id for this delivery (its body is parsed JSON), when it sends one. */
  deliveryId?(req: PlatformRequest, body: unknown): string | undefined;
  /**
   * Maps the verified body and drives the call. Never refuses the body for its shape: what it can't read is a
   * warning in the response (and on the call), and a delivery that names no call is acknowledged.
   */
  handle(req: PlatformRequest, ctx: PlatformContext): Promise<PlatformResponse>;
  /**
   * The post-call analysis a kept delivery carries (its `data` events marked `source: 'analysis'`), mapped again from
   * the body as received, for a re-run of the after-call stage of a call that closed before the analysis came.
   */
  analysisOf?(body: unknown, options: RemapOptions): CallEvent[];
}

/** How a kept delivery is mapped again: as the agent's deliveries are, timed by its arrival where it says nothing. */
export type RemapOptions = MapOptions & { receivedAt: Date };

/** The analysis among a mapping's events. */
export function analysisEvents(events: CallEvent[]): CallEvent[] {
  return events.filter((e) => e.type === 'data' && e.source === 'analysis');
}

/** How this agent's deliveries are read: numbers without "+" in the agent's region. */
export function mapOptions(ctx: PlatformContext): MapOptions {
  return ctx.agent.region ? { defaultRegion: ctx.agent.region as CountryCode } : {};
}

/** The call id a platform's own call id maps to: prefixed, so two platforms' ids can never clash. */
export function platformCallId(platform: PlatformName, providerCallId: string): string {
  return `${platform}-${providerCallId}`;
}
