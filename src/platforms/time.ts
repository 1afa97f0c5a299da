import { z } from 'zod';

/**
 * Platform timestamps a Date can hold (0 to the end of year 9999): a larger one would fail later as an ISO time, so
 * it is refused at the edge with the field's name instead.
 */
export const epochMs = z.number().min(0).max(253_402_300_799_999);
export const epochSeconds = z.number().min(0).max(253_402_300_799);
/** Offsets into a call, in seconds: a week is far more than any call lasts. */
export const callOffsetSeconds = z
  .number()
  .min(0)
  .max(7 * 86_400);
