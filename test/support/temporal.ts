import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
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

export interface TemporalClients {
  server: DevServer;
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

export async function connectClients(dev?: DevServer): Promise<TemporalClients> {
  installQuietRuntime('ERROR');
  const s = dev ?? (await testServer());
  const connection = await Connection.connect({ address: s.address });
  const nativeConnection = await NativeConnection.connect({ address: s.address });
  return {
    server: s,
    client: new Client({ connection, namespace: s.namespace }),
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
