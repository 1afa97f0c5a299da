import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICE_SQLITE_PRAGMAS, startDevServer } from '../src/temporal/dev-server';

/** SQLite's header says 2 in its read and write version bytes for a database in WAL mode, 1 for a rollback journal. */
function journalOf(dbFile: string): 'wal' | 'rollback' {
  const header = readFileSync(dbFile).subarray(0, 100);
  return header[18] === 2 && header[19] === 2 ? 'wal' : 'rollback';
}

describe("npm start's dev server", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'callflow-dev-server-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps its SQLite file in WAL mode, so a commit doesn't wait for the disk", async () => {
    const dbFile = path.join(dir, 'service.sqlite');
    const server = await startDevServer({ headless: true, dbFile, sqlitePragmas: SERVICE_SQLITE_PRAGMAS });
    try {
      assert.equal(journalOf(dbFile), 'wal');
    } finally {
      await server.stop();
    }
  });

  it("without the pragmas the file has SQLite's rollback journal", async () => {
    const dbFile = path.join(dir, 'stock.sqlite');
    const server = await startDevServer({ headless: true, dbFile });
    try {
      assert.equal(journalOf(dbFile), 'rollback');
    } finally {
      await server.stop();
    }
  });
});
