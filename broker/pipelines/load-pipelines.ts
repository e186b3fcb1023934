// Loads every pipeline YAML from a folder and validates it. An invalid file stops start-up
// with a message that names the file, the field path and the problem, so the person who
// wrote it can fix it without reading Sluice's source.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, zodErrorLines } from '../core/errors.ts';
import { overlappingSources, sourcePlace } from '../core/landing-config.ts';
import { PipelineSchema, type Pipeline } from '../core/pipeline.ts';

export type PipelineRegistry = {
  get(name: string): Pipeline | undefined;
  list(): Pipeline[];
  /** The file a pipeline was loaded from, for messages that name it; undefined for one built in code (tests). */
  file(name: string): string | undefined;
};

export function pipelineRegistry(pipelines: Pipeline[], files: ReadonlyMap<string, string> = new Map()): PipelineRegistry {
  const byName = new Map(pipelines.map((pipeline) => [pipeline.name, pipeline]));
  return {
    get: (name) => byName.get(name),
    list: () => [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)),
    file: (name) => files.get(name),
  };
}

// The YAML parser's message (with its line, column and caret), reworded where it speaks to a
// programmer (parseAllDocuments) or leaves the cause to guess: a cron written unquoted,
// cron: */5 * * * *, is a YAML alias.
function yamlProblem(error: Error): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'MULTIPLE_DOCS') {
    return error.message.replace(/^Source contains multiple documents; please use YAML\.parseAllDocuments\(\)/, 'a file holds one pipeline, but a second YAML document ("---") starts');
  }
  if (/\balias\b/i.test(error.message)) return `${error.message.trimEnd()}\n  (a value that starts with "*" is read as a YAML alias: quote it, e.g. cron: "*/5 * * * *")`;
  return error.message;
}

export function parsePipeline(text: string, file: string): Pipeline {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid YAML: ${yamlProblem(error as Error)}`, { cause: error });
  }
  const parsed = PipelineSchema.safeParse(sparkConfAsText(document));
  if (!parsed.success) {
    throw new ConfigError(`${file}: invalid pipeline\n${zodErrorLines(parsed.error).map((line) => `  ${line}`).join('\n')}`);
  }
  return parsed.data;
}

/**
 * Spark reads every setting as text, and YAML reads `spark.sql.shuffle.partitions: 200` as a
 * number: such values in engine.conf become their text (they were refused as "expected
 * string"). Only in a file: the schema, which the API documents, stays strings.
 */
function sparkConfAsText(document: unknown): unknown {
  const engine = (document as { engine?: { conf?: unknown } } | null)?.engine;
  const conf = engine?.conf;
  if (typeof conf !== 'object' || conf === null || Array.isArray(conf)) return document;
  const asText = Object.fromEntries(Object.entries(conf).map(([key, value]) => [key, typeof value === 'number' || typeof value === 'boolean' ? String(value) : value]));
  return { ...(document as object), engine: { ...engine, conf: asText } };
}

export async function loadPipelines(dir: string): Promise<PipelineRegistry> {
  let names: string[];
  try {
    // Any case: a file copied from Windows as METER.YAML is a pipeline too, not one left out without a word.
    names = (await readdir(dir)).filter((name) => /\.ya?ml$/i.test(name)).sort();
  } catch (error) {
    throw new ConfigError(`SLUICE_PIPELINES_DIR: cannot read ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const pipelines: Pipeline[] = [];
  const files = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // A folder named x.yaml, a file it may not read, an editor's dangling lock link: name it, not a stack trace.
      throw new ConfigError(`${file}: cannot read: ${(error as Error).message}`, { cause: error });
    }
    const pipeline = parsePipeline(text, file);
    const other = files.get(pipeline.name);
    if (other) throw new ConfigError(`${file}: pipeline name "${pipeline.name}" is already used by ${other}`);
    files.set(pipeline.name, file);
    pipelines.push(pipeline);
  }
  checkSourcesApart(pipelines, (name) => files.get(name) ?? `pipeline "${name}"`);
  return pipelineRegistry(pipelines, files);
}

/**
 * Throws a ConfigError when two landing sources (of two pipelines, or of one) would take the
 * same files: the same folder, one folder inside the other, or overlapping s3 prefixes of one
 * bucket. Both would take each file, and one's archive or quarantine would move it from under
 * the other (with the same folder, both sources share one id, and the second got no file at
 * all). `where` names a pipeline for the message: its file when it has one.
 */
export function checkSourcesApart(pipelines: ReadonlyArray<Pick<Pipeline, 'name' | 'sources'>>, where: (pipeline: string) => string = (name) => `pipeline "${name}"`): void {
  const overlaps = overlappingSources(pipelines.map((pipeline) => ({ owner: pipeline.name, sources: pipeline.sources })));
  if (overlaps.length === 0) return;
  const lines = overlaps.map(({ first, second }) => {
    const a = `${where(first.owner)} watches ${sourcePlace(first.source)}`;
    const b = first.owner === second.owner ? `so does its other source ${sourcePlace(second.source)}` : `${where(second.owner)} watches ${sourcePlace(second.source)}`;
    return `  ${a}; ${b}`;
  });
  throw new ConfigError(
    `landing sources overlap: each file would be taken by both, and one's archive or quarantine would move it from under the other; ` +
      `give each pipeline a folder (or s3 prefix) of its own, not inside another's\n${lines.join('\n')}`,
  );
}
