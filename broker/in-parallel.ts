// Runs async work over a list with a bounded number in flight: listings of thousands of files
// or objects, and the benchmarks' clients.

/** Runs `task` over `items` with at most `limit` in flight; `stop` ends it early (checked before each item). */
export async function inParallel<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !stop()) {
      const index = next++;
      await task(items[index]!, index);
    }
  });
  await Promise.all(lanes);
}
