import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { testCodec, workflowBundle } from './kit/temporal';
import { historiesDir } from './support/histories';

describe('recorded call histories', () => {
  const files = readdirSync(historiesDir).filter((f) => f.endsWith('.json'));

  it('are present (npm run record-histories writes them)', () => {
    assert.ok(files.length >= 2, `expected recorded histories in ${historiesDir}`);
  });

  for (const file of files) {
    it(`replay against the current workflow code: ${file}`, async () => {
      const history = historyFromJSON(JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8')));
      await Worker.runReplayHistory(
        // Histories recorded since payloads are encrypted need the key; older plaintext ones pass through.
        { workflowBundle: await workflowBundle(), dataConverter: { payloadCodecs: [testCodec] } },
        history,
        file,
      );
    });
  }
});
