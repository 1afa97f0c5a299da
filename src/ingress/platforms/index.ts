/** Every voice platform adapter, one file each; the router serves them at /webhooks/<name>/<agentId>. */
import type { PlatformAdapter } from './platform';

export const platformAdapters: PlatformAdapter[] = [];
