/**
 * Fresh PGlite data directories for tests, copied from a migrated template instead of created and migrated each time
 * (initdb and the migrations take several seconds, more under load; a copy and an open take about one). The template
 * is built once per machine and kept in the OS temp directory, named by a hash of the migrations and the PGlite
 * version: a new migration or PGlite release builds a new one.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrations } from '../../src/store/migrations';
import { openStore } from '../../src/store/open-store';

/** The lock file a store leaves while open (src/store/store.ts); never part of the template. */
const LOCK_FILE = 'callflow.lock';

function templateKey(): string {
  const manifest = path.resolve(__dirname, '../../node_modules/@electric-sql/pglite/package.json');
  const pglite = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return createHash('sha256')
    .update(JSON.stringify({ pglite: pglite.version, migrations }))
    .digest('hex')
    .slice(0, 16);
}

let built: Promise<string> | undefined;

/** The template's directory, built (and migrated) on first use. */
function template(): Promise<string> {
  built ??= (async () => {
    const dir = path.join(tmpdir(), `callflow-pglite-template-${templateKey()}`);
    if (existsSync(path.join(dir, 'PG_VERSION'))) return dir;
    // Built beside its final place and renamed into it, so no one ever copies a half-built template.
    const building = mkdtempSync(`${dir}.building-`);
    try {
      await (await openStore({ dataDir: building })).close();
      rmSync(path.join(building, LOCK_FILE), { force: true });
      try {
        renameSync(building, dir);
      } catch (err) {
        // Another process built it first: theirs is as good.
        if (!existsSync(path.join(dir, 'PG_VERSION'))) throw err;
      }
      return dir;
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
  })();
  built.catch(() => {
    built = undefined;
  });
  return built;
}

/** Fills `dir` (which must not exist yet) with a migrated, empty store, as openStore({ dataDir: dir }) would leave it. */
export async function seedStore(dir: string): Promise<void> {
  cpSync(await template(), dir, {
    recursive: true,
    errorOnExist: true,
    force: false,
    filter: (src) => path.basename(src) !== LOCK_FILE,
  });
}

/** A new service data directory (CALLFLOW_DATA_DIR) whose store (`store/`) is already migrated. */
export async function freshDataDir(prefix: string): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  await seedStore(path.join(dir, 'store'));
  return dir;
}
