import type { ReplaySummary } from './replay';
import type { TestResult, TestRunReport } from './test-runner';

/** The report as the command line prints it: one line per test, each failed expectation with its diff. */
export function reportText(report: TestRunReport): string {
  const lines = [
    `agent ${report.agentId}${report.version !== undefined ? ` version ${report.version}` : ' (draft)'}`,
  ];
  for (const t of report.tests) {
    lines.push(`  ${t.passed ? 'PASS' : 'FAIL'} ${t.name} (${t.durationMs} ms)`);
    if (t.error) lines.push(`       ${t.error}`);
    for (const e of t.expectations.filter((x) => !x.passed)) {
      lines.push(`       ${e.path}:`);
      for (const line of (e.diff ?? '').split('\n')) lines.push(`         ${line}`);
    }
  }
  lines.push(
    `${report.passed} passed, ${report.failed} failed of ${report.total} in ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  return `${lines.join('\n')}\n`;
}

const xml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function failureText(t: TestResult): string {
  return [
    ...(t.error ? [t.error] : []),
    ...t.expectations.filter((e) => !e.passed).map((e) => `${e.path}:\n${e.diff ?? ''}`),
  ].join('\n\n');
}

/** JUnit XML, one testsuite per agent, for CI systems that show test results. */
export function reportJUnit(reports: TestRunReport[]): string {
  const suites = reports.map((r) => {
    const name = `${r.agentId}${r.version !== undefined ? `@${r.version}` : ''}`;
    const cases = r.tests.map((t) => {
      const open = `    <testcase classname="${xml(name)}" name="${xml(t.name)}" time="${(t.durationMs / 1000).toFixed(3)}"`;
      if (t.passed) return `${open}/>`;
      const failed = t.expectations.filter((e) => !e.passed).length;
      const message = t.error ?? `${failed} expectation(s) failed`;
      return `${open}>\n      <failure message="${xml(message)}">${xml(failureText(t))}</failure>\n    </testcase>`;
    });
    return `  <testsuite name="${xml(name)}" tests="${r.total}" failures="${r.failed}" time="${(r.durationMs / 1000).toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join('\n')}\n</testsuites>\n`;
}

/** The report as the API returns it: without the full call records, which hold the scripted conversation. */
export function reportBody(report: TestRunReport): Record<string, unknown> {
  return {
    ...report,
    tests: report.tests.map(({ record: _record, ...t }) => t),
  };
}

const brief = (v: unknown) => {
  const text = v === undefined ? '(none)' : JSON.stringify(v);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
};

/** A replay as the command line prints it: each changed call with its changes, then the summary. */
export function replayText(summary: ReplaySummary): string {
  const lines: string[] = [];
  for (const r of summary.results) {
    if (r.error) lines.push(`  ERROR ${r.callId}: ${r.error}`);
    if (!r.changed) continue;
    lines.push(`  CHANGED ${r.callId}`);
    for (const c of r.changes)
      lines.push(
        `     ${c.kind}${c.at ? ` ${c.at}` : ''}:`,
        `       - ${brief(c.before)}`,
        `       + ${brief(c.after)}`,
      );
  }
  const kinds = Object.entries(summary.byKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  lines.push(
    `${summary.calls} calls replayed, ${summary.changed} changed${kinds ? ` (${kinds})` : ''}, ${summary.failed} could not run, in ${(summary.durationMs / 1000).toFixed(1)} s`,
  );
  return `${lines.join('\n')}\n`;
}
