import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { EncryptionCodec } from '../../src/crypto/codec';
import { type DevServer, startDevServer } from '../../src/temporal/dev-server';
import { bundleWorkflows, installQuietRuntime } from '../../src/worker';

/** One real dev server and one workflow bundle for the whole run, started on first use. */
installQuietRuntime('ERROR');
let server: Promise<DevServer> | undefined;
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function testServer(): Promise<DevServer> {
  server ??= startDevServer({ headless: true });
  return server;
}

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflows();
  return bundle;
}

/** The suite runs encrypted, as `npm start` does; worker processes get the same keys through the env. */
export const TEST_CODEC_KEYS = `test-1:${Buffer.alloc(32, 7).toString('base64')}`;
export const testCodec = EncryptionCodec.fromKeys(TEST_CODEC_KEYS);

/** The summaries of a history's events (workflow start, activities, timers), decrypted with the test key. */
export async function historySummaries(history: {
  events?:
    | { userMetadata?: { summary?: { metadata?: unknown; data?: Uint8Array | null } | null } | null }[]
    | null;
}): Promise<string[]> {
  const payloads = (history.events ?? [])
    .map((e) => e.userMetadata?.summary)
    .filter((p): p is { metadata?: unknown; data: Uint8Array } => Boolean(p?.data));
  const decoded = await testCodec.decode(payloads as Parameters<typeof testCodec.decode>[0]);
  return decoded.map((p) => JSON.parse(Buffer.from(p.data ?? new Uint8Array()).toString()) as string);
}

export interface TemporalClients {
  server: DevServer;
  client: Client;
  /** The codec `client` uses; workers built from these clients take it too. */
  codec?: EncryptionCodec;
  connection: Connection;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

export async function connectClients(
  dev?: DevServer,
  opts: { codec?: EncryptionCodec | null } = {},
): Promise<TemporalClients> {
  installQuietRuntime('ERROR');
  const s = dev ?? (await testServer());
  const codec = opts.codec === null ? undefined : (opts.codec ?? testCodec);
  const connection = await Connection.connect({ address: s.address });
  const nativeConnection = await NativeConnection.connect({ address: s.address });
  return {
    server: s,
    codec,
    // Over the native connection, as the service's client (src/service.ts connectClient).
    client: new Client({
      connection: nativeConnection,
      namespace: s.namespace,
      ...(codec ? { dataConverter: { payloadCodecs: [codec] } } : {}),
    }),
    connection,
    nativeConnection,
    close: async () => {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

let queueSeq = 0;
export function uniqueTaskQueue(name: string): string {
  return `test-${name}-${process.pid}-${++queueSeq}`;
}

/** Polls until `check` returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

export const mochaHooks = {
  async afterAll() {
    if (server) await (await server).stop();
  },
};
