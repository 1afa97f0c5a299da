import path from 'node:path';
import type { ServiceSettings } from '../config/env';
import { codecFromSettings } from '../crypto/codec';
import { openStore } from './open-store';
import { RecordSealer } from './sealing';
import type { Store } from './store';

/**
 * The store the service uses: PostgreSQL when DATABASE_URL is set, else PGlite under the data directory. Kept
 * apart from ../service.ts so the agents CLI opens it without loading the worker and the ingress.
 */
export function openServiceStore(settings: ServiceSettings): Promise<Store> {
  // The Temporal codec's keys also seal the call log's records, so personal data is encrypted at rest there too.
  const codec = codecFromSettings(settings);
  return openStore({
    ...(settings.databaseUrl
      ? { databaseUrl: settings.databaseUrl }
      : { dataDir: path.join(settings.dataDir, 'store') }),
    ...(codec ? { sealer: new RecordSealer(codec) } : {}),
  });
}
