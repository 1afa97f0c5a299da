/**
 * `npm run build:workflows [-- --tracing] [-- -o <file>]`: bundles the call workflows once, so workers started
 * with CALLFLOW_WORKFLOW_BUNDLE=<file> skip the few seconds of bundling at start-up (scaling out, restarts).
 * Writes <file> (default dist/workflow-bundle.js) and <file>.json (SDK version, tracing). With --tracing the
 * bundle has the OpenTelemetry workflow interceptors, for workers that trace (OTEL_EXPORTER_OTLP_ENDPOINT set);
 * a worker refuses a bundle built the other way, or by another SDK version.
 *
 * `--all -o <dir>` (default dist/) writes both bundles into <dir>; a worker given CALLFLOW_WORKFLOW_BUNDLE=<dir>
 * takes the one that matches its tracing setting (the image does this, so tracing can be switched on by
 * environment alone).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleFileIn, writeWorkflowBundle } from '../src/worker';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tracing: { type: 'boolean' },
      all: { type: 'boolean' },
      out: { type: 'string', short: 'o' },
    },
  });
  if (values.all && values.tracing)
    throw new Error('--all already writes the tracing bundle; drop --tracing');
  const targets = values.all
    ? [false, true].map((tracing) => ({
        tracing,
        out: bundleFileIn(path.resolve(values.out ?? 'dist'), tracing),
      }))
    : [{ tracing: Boolean(values.tracing), out: path.resolve(values.out ?? 'dist/workflow-bundle.js') }];
  for (const target of targets) {
    const manifest = await writeWorkflowBundle(target.out, { tracing: target.tracing });
    process.stdout.write(
      `wrote ${path.relative(process.cwd(), target.out)} (Temporal SDK ${manifest.sdkVersion}, tracing ${manifest.tracing ? 'on' : 'off'})\n`,
    );
  }
  const given = values.all ? path.resolve(values.out ?? 'dist') : targets[0].out;
  process.stdout.write(`start workers with CALLFLOW_WORKFLOW_BUNDLE=${given}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`build:workflows failed: ${err.message}\n`);
  process.exit(1);
});
