/** Every voice platform adapter, one file each; the router serves them at /webhooks/<name>/<agentId>. */
import { elevenLabsAdapter } from './elevenlabs';
import { justCallAdapter } from './justcall';
import type { PlatformAdapter } from './platform';
import { retellAdapter } from './retell';
import { vapiAdapter } from './vapi';

export const platformAdapters: PlatformAdapter[] = [
  justCallAdapter,
  elevenLabsAdapter,
  retellAdapter,
  vapiAdapter,
];
