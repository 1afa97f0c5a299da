/**
 * `npm run build:workflows [-- --tracing] [-- -o <file>]`: bundles the call workflows once, so workers started
 * with CALLFLOW_WORKFLOW_BUNDLE=<file> skip the few seconds of bundling at start-up (scaling out, restarts).
 * Writes <file> (default dist/workflow-bundle.js) and <file>.json (SDK version, tracing). With --tracing the
 * bundle has the OpenTelemetry workflow interceptors, for workers that trace (OTEL_EXPORTER_OTLP_ENDPOINT set);
 * a worker refuses a bundle built the other way, or by another SDK version.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeWorkflowBundle } from '../src/worker';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { tracing: { type: 'boolean' }, out: { type: 'string', short: 'o' } },
  });
  const out = path.resolve(values.out ?? 'dist/workflow-bundle.js');
  const manifest = await writeWorkflowBundle(out, { tracing: values.tracing });
  process.stdout.write(
    `wrote ${path.relative(process.cwd(), out)} (Temporal SDK ${manifest.sdkVersion}, tracing ${manifest.tracing ? 'on' : 'off'})\n` +
      `start workers with CALLFLOW_WORKFLOW_BUNDLE=${out}\n`,
  );
}

main().catch((err: Error) => {
  process.stderr.write(`build:workflows failed: ${err.message}\n`);
  process.exit(1);
});
