import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const historiesDir = path.resolve(__dirname, '../histories');

/**
 * With RECORD_HISTORIES=1 (`npm run record-histories`), saves a finished workflow's history under
 * test/histories/ for the replay test. Histories are re-recorded only on purpose: a workflow change that
 * cannot replay them would break calls that are running when it is deployed.
 */
export async function maybeRecordHistory(client: Client, workflowId: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  mkdirSync(historiesDir, { recursive: true });
  writeFileSync(path.join(historiesDir, `${name}.json`), `${historyToJSON(history)}\n`);
}
