/** The voice platforms an agent can take webhooks from, each with its adapter in src/ingress/platforms/. */
export const PLATFORM_NAMES = ['retell', 'vapi', 'justcall', 'elevenlabs'] as const;
export type PlatformName = (typeof PLATFORM_NAMES)[number];
