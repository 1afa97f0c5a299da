import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EncryptionCodec } from '../../src/crypto/codec';
import { CallLog } from '../../src/store/call-log';
import { openStore } from '../../src/store/open-store';
import { RecordSealer } from '../../src/store/sealing';
import { type DevServer, startDevServer } from '../../src/temporal/dev-server';
import { startCustomerApi } from '../../test/kit/customer-api';
import { type CalcomFake, startCalcomFake } from '../../test/kit/fakes/calcom-server';
import { FaultInjector, type FaultKind, seededRandom } from '../../test/kit/fakes/faults';
import { type HubSpotFake, startHubSpotFake } from '../../test/kit/fakes/hubspot-server';
import { startTwilioFake, type TwilioFake } from '../../test/kit/fakes/twilio-server';
import { startPostgres, type TestPostgres } from '../../test/kit/postgres';
import { startWorkerProcess } from '../../test/kit/worker-process';
import { ZONE } from './calls';
import type { StoredCall } from './records';

const ACCOUNT = `AC${'c'.repeat(32)}`;
export const TWILIO_AUTH_TOKEN = 'chaos-twilio-token';
export const FROM_NUMBER = '+14155550100';

export type ProviderName = 'twilio' | 'calcom' | 'hubspot' | 'customerApi';

export interface Providers {
  twilio: TwilioFake;
  calcom: CalcomFake;
  hubspot: HubSpotFake;
  customerApi: Awaited<ReturnType<typeof startCustomerApi>>;
  faults: Record<ProviderName, FaultInjector>;
  close(): Promise<void>;
}

export interface FaultSettings {
  /** Chance that one provider request meets a fault. */
  probability: number;
  seed: number;
  weights?: Partial<Record<FaultKind, number>>;
}

/** The loopback providers, each with its own seeded fault injector. */
export async function startProviders(eventTypeIds: number[], faults: FaultSettings): Promise<Providers> {
  const injector = (offset: number, holdMs: number) =>
    new FaultInjector({
      probability: faults.probability,
      random: seededRandom(faults.seed + offset),
      weights: faults.weights,
      holdMs,
      // Faults come once the providers are set up (the chaos starts with the calls).
      enabled: false,
    });
  const injectors: Record<ProviderName, FaultInjector> = {
    twilio: injector(1, 20_000),
    calcom: injector(2, 10_000),
    hubspot: injector(3, 20_000),
    customerApi: injector(4, 20_000),
  };
  const twilio = await startTwilioFake({
    accountSid: ACCOUNT,
    authToken: TWILIO_AUTH_TOKEN,
    faults: injectors.twilio,
    // 0.1 s per simulated second: a warm-transfer target who accepted waits 3 s for the connect (the ingress's
    // 30-second pause), so a connect delayed by a killed worker can miss it, as it would on a real line.
    tickMs: 100,
  });
  const calcom = await startCalcomFake({
    faults: injectors.calcom,
    eventTypes: eventTypeIds.map((id) => ({ id, slug: `visit-${id}`, title: 'Visit', lengthInMinutes: 30 })),
  });
  for (const id of eventTypeIds) {
    calcom.setAvailability(id, {
      timeZone: ZONE,
      rules: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '08:00', end: '20:00' }],
    });
  }
  const hubspot = await startHubSpotFake({ faults: injectors.hubspot });
  const customerApi = await startCustomerApi({ faults: injectors.customerApi });
  return {
    twilio,
    calcom,
    hubspot,
    customerApi,
    faults: injectors,
    async close() {
      for (const f of Object.values(injectors)) {
        f.enabled = false;
        f.releaseHeld();
      }
      await Promise.all([twilio.close(), calcom.close(), hubspot.close(), customerApi.close()]);
    },
  };
}

/** The worker's environment: the real adapters, pointed at the loopback providers. */
export function workerEnv(
  p: Providers,
  temporalAddress: string,
  taskQueue: string,
  databaseUrl: string,
  ingressUrl: string,
) {
  return {
    // Where the Twilio fake sends transfer-leg callbacks, keypresses and SMS statuses: the ingress.
    CALLFLOW_PUBLIC_URL: ingressUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: databaseUrl,
    TWILIO_ACCOUNT_SID: ACCOUNT,
    TWILIO_AUTH_TOKEN,
    TWILIO_API_BASE_URL: p.twilio.url,
    TWILIO_FROM_NUMBER: FROM_NUMBER,
    CALCOM_API_KEY: p.calcom.apiKey,
    CALCOM_API_URL: p.calcom.url,
    HUBSPOT_ACCESS_TOKEN: p.hubspot.token,
    HUBSPOT_BASE_PATH: p.hubspot.url,
  };
}

/**
 * The standalone worker in a child process, started again whenever it exits (killed, or given up on an
 * unreachable server) until `stop()`.
 */
export class WorkerSupervisor {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  private stopping = false;
  starts = 0;
  kills = 0;
  /** The last lines the workers wrote to stderr (what a stuck run is first asked about). */
  stderrTail = '';

  constructor(
    private readonly env: Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    this.starts++;
    const { child, ready } = await startWorkerProcess(this.env);
    this.child = child;
    this.ready = ready;
    const n = this.starts;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-3000);
    });
    ready.then(
      () => this.log(`worker #${n} polling`),
      () => undefined,
    );
    child.on('exit', (code, signal) => {
      if (this.stopping || this.child !== child) return;
      this.log(`worker exited (${signal ?? code}); starting another`);
      setTimeout(() => {
        if (!this.stopping && this.child === child) void this.start().catch(() => undefined);
      }, 500);
    });
    return ready;
  }

  /** Resolves once the current worker polls (following restarts). */
  async whenReady(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        await this.ready;
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw new Error('the worker did not come up');
  }

  /** SIGKILL: no draining, in-flight activities die with it. A new worker is started at once. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.kills++;
    this.child = undefined;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    this.start().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
}

/** The dev server persisted to a SQLite file, so it can be stopped and started again on the same port. */
export class RestartableServer {
  private current!: DevServer;
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'callflow-chaos-'));
  private readonly dbFile = path.join(this.dir, 'temporal.sqlite');
  restarts = 0;
  private port?: number;
  readonly view: DevServer;

  constructor(private readonly log: (line: string) => void) {
    const self = this;
    // What the harness holds: address and namespace stay the same across restarts.
    this.view = {
      get address() {
        return self.current.address;
      },
      get namespace() {
        return self.current.namespace;
      },
      stop: () => self.current.stop(),
    };
  }

  async start(): Promise<void> {
    this.current = await startDevServer({ dbFile: this.dbFile, headless: true, port: this.port });
    this.port = Number(this.current.address.split(':').pop());
  }

  async restart(downMs: number): Promise<void> {
    const address = this.current.address;
    await this.current.stop();
    this.log(`temporal server stopped (${address})`);
    await new Promise((r) => setTimeout(r, downMs));
    for (let attempt = 1; ; attempt++) {
      const next = await startDevServer({ dbFile: this.dbFile, headless: true, port: this.port });
      if (next.address === address) {
        this.current = next;
        break;
      }
      // The port was not free yet (a socket still closing): try again for the same one.
      await next.stop();
      if (attempt >= 20) throw new Error(`could not restart the server on ${address}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    this.restarts++;
    this.log(`temporal server started again (${address})`);
  }

  async stop(): Promise<void> {
    await this.current?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export type { TestPostgres };
export { startPostgres };

/** Each call's row in the call log the worker wrote, opened with the codec's keys as the service opens it. */
export async function readCallLog(
  databaseUrl: string,
  codec: EncryptionCodec | undefined,
  callIds: string[],
): Promise<Map<string, StoredCall>> {
  const store = await openStore({ databaseUrl, ...(codec ? { sealer: new RecordSealer(codec) } : {}) });
  try {
    const log = new CallLog(store);
    const rows = await store.query<{
      call_id: string;
      disposition: string | null;
      actions: StoredCall['actions'];
    }>('SELECT call_id, disposition, actions FROM call_log WHERE call_id = ANY($1)', [callIds]);
    const stored = new Map<string, StoredCall>();
    for (const row of rows) {
      const record = await log.record(row.call_id);
      if (record) stored.set(row.call_id, { record, disposition: row.disposition, actions: row.actions });
    }
    return stored;
  } finally {
    await store.close();
  }
}
