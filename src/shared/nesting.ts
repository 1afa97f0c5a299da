/** How deep a JSON body or free-form object may nest: the API's bodies and the platforms' webhooks alike. */
export const MAX_JSON_NESTING = 32;

/** Whether a parsed JSON value nests deeper than `limit`, found without recursion: a body can nest deeper than the stack. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length) {
    const [node, depth] = pending.pop()!;
    if (!node || typeof node !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}
