/** The before-call stage's latency budget when the agent sets none (here, with no zod, so workflows can import it). */
export const DEFAULT_BEFORE_CALL_BUDGET_SECONDS = 2;
