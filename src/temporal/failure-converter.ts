/**
 * Failure messages and stack traces go into the history too, and a provider's error can quote a phone number or
 * a caller's words. With `encodeCommonAttributes` they travel as a payload, so the codec encrypts them like the
 * rest. Loaded by path: the workflow bundle and the worker must use the same converter.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
