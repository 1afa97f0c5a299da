/**
 * `npm run chaos`: concurrent simulated calls through the ingress while the worker is SIGKILLed, the Temporal
 * server restarts, providers fail and webhooks arrive duplicated and out of order (scripts/chaos/index.ts).
 * Prints what was injected and what each provider saw; exits non-zero on any duplicate, loss or stuck call.
 *
 * Settings (environment): CHAOS_CALLS (100), CHAOS_SEED (random), CHAOS_WORKER_KILLS (3),
 * CHAOS_SERVER_RESTARTS (1), CHAOS_FAULT_RATE (0.12, per provider request), CHAOS_SPREAD_SECONDS (20, over
 * which the calls start), CHAOS_DEADLINE_SECONDS (300, for the calls to finish), CHAOS_CALENDARS (4),
 * CHAOS_OUT (chaos-results: the report is also written there as <timestamp>.json).
 *
 * `npm run chaos -- --prod` runs it against the production topology instead (scripts/chaos/prod.ts: the Temporal
 * server on PostgreSQL, two workers, two ingresses behind a balancer), with CHAOS_INGRESS_KILLS (1) and
 * CHAOS_POSTGRES_RESTARTS (1) besides, and CHAOS_WORKER_KILLS and CHAOS_SERVER_RESTARTS defaulting to 1.
 */
import '../test/kit/temporal';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultChaosSettings, formatReport, runChaos } from './chaos/index';
import { defaultProdChaosSettings, runProdChaos } from './chaos/prod';

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  const prod = process.argv.includes('--prod');
  const d = prod ? defaultProdChaosSettings : defaultChaosSettings;
  const started = Date.now();
  const settings = {
    calls: num('CHAOS_CALLS', d.calls),
    seed: num('CHAOS_SEED', Math.floor(Math.random() * 1_000_000)),
    workerKills: num('CHAOS_WORKER_KILLS', d.workerKills),
    serverRestarts: num('CHAOS_SERVER_RESTARTS', d.serverRestarts),
    faultProbability: num('CHAOS_FAULT_RATE', d.faultProbability),
    spreadSeconds: num('CHAOS_SPREAD_SECONDS', d.spreadSeconds),
    deadlineSeconds: num('CHAOS_DEADLINE_SECONDS', d.deadlineSeconds),
    calendars: Math.max(1, num('CHAOS_CALENDARS', d.calendars)),
    log: (line: string) =>
      process.stderr.write(`[chaos +${Math.round((Date.now() - started) / 1000)}s] ${line}\n`),
  };
  const report = prod
    ? await runProdChaos({
        ...settings,
        ingressKills: num('CHAOS_INGRESS_KILLS', defaultProdChaosSettings.ingressKills),
        postgresRestarts: num('CHAOS_POSTGRES_RESTARTS', defaultProdChaosSettings.postgresRestarts),
      })
    : await runChaos(settings);
  process.stdout.write(`${formatReport(report)}\n`);
  const out = process.env.CHAOS_OUT || 'chaos-results';
  const file = path.join(out, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await mkdir(out, { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`written to ${file}\n`);
  process.exit(report.ok ? 0 : 1);
}

main().catch((err: Error) => {
  process.stderr.write(`chaos run failed: ${err.stack ?? err.message}\n`);
  process.exit(2);
});
