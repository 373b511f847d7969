// Nesting depth of parsed JSON, measured without recursion. JSON.parse copes with a million
// nested brackets, but JSON.stringify (used to store configs and evidence) overflows the
// stack on them; bodies whose stored parts nest deeper than a limit are refused up front.

/** True when `value` nests objects/arrays more than `maxDepth` levels deep. */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return true;
    const children = Array.isArray(current) ? current : Object.values(current as Record<string, unknown>);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
