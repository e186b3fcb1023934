// `make bench`: every benchmark, one after another (they share a 2-core machine), each
// printing its figures as `BENCH <name> <value> <unit>` lines.
import { badFileQuarantine } from './bad-file-quarantine.ts';
import { brokerOverhead } from './broker-overhead.ts';
import { engineBench } from './engine.ts';
import { eventsFanout } from './events-fanout.ts';
import { k8sSubmit } from './k8s-submit.ts';
import { landingWatch } from './landing-watch.ts';
import { sparkOverhead } from './spark-overhead.ts';
import { sqlLoad } from './sql-load.ts';
import { uiList } from './ui-list.ts';

const benchmarks: Record<string, () => Promise<void>> = { broker: brokerOverhead, spark: sparkOverhead, landing: landingWatch, door: badFileQuarantine, sql: sqlLoad, events: eventsFanout, k8s: k8sSubmit, ui: uiList, engine: engineBench };
const only = process.argv.slice(2);

for (const [name, run] of Object.entries(benchmarks)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`bench: ${name}\n`);
  await run();
}
process.exit(0);
