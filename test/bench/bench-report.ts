// Figures printed by `npm run bench`: each with its unit, its target where the issue sets one,
// and a baseline measured in the same run where there is one.
export interface Figure { name: string; value: number; unit: string; target?: string; note?: string }

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function printFigures(title: string, figures: Figure[]): void {
  process.stdout.write(`\n## ${title}\n`);
  const width = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) {
    const v = Number.isInteger(f.value) ? String(f.value) : f.value.toFixed(f.value < 10 ? 2 : 1);
    process.stdout.write(`  ${f.name.padEnd(width)}  ${v} ${f.unit}${f.target ? `   (target ${f.target})` : ''}${f.note ? `   ${f.note}` : ''}\n`);
  }
}

/** Runs `fn` with `inFlight` concurrent loops until `total` calls are done; returns latencies (ms). */
export async function closedLoop(total: number, inFlight: number, fn: (i: number) => Promise<void>): Promise<{ latencies: number[]; seconds: number }> {
  let next = 0;
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const t0 = performance.now();
      await fn(i);
      latencies.push(performance.now() - t0);
    }
  }));
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - start) / 1000 };
}
