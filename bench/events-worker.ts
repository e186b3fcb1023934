// The worker of the events fan-out benchmark, run as its own process as `sluice worker`
// runs apart from `sluice api`: the instant launcher and a lake in memory (so the benchmark
// measures Sluice, not Spark or the disk). Prints "ready" once started; stops on SIGTERM.
// usage: events-worker.ts SETTINGS_JSON
import { loadConfig } from '../broker/config.ts';
import { startSluice } from '../broker/sluice.ts';
import { benchPipelines } from './bench-pipeline.ts';
import { InstantLauncher, MemoryLake } from './instant-launcher.ts';

const config = loadConfig(JSON.parse(process.argv[2]!) as Record<string, string>);
const lake = new MemoryLake();
const worker = await startSluice(config, { api: false, worker: true }, { launcher: new InstantLauncher(lake), lake, pipelines: benchPipelines() });
process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
process.stdout.write('ready\n');
