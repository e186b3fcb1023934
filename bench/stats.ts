export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** One figure, in the form `make bench` collects: BENCH <name> <value> <unit>. */
export function report(name: string, value: number, unit: string, digits = 2): void {
  process.stdout.write(`BENCH ${name} ${value.toFixed(digits)} ${unit}\n`);
}
