import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.ts';
import { minimalPipeline } from '../../test/harness/minimal-pipeline.ts';
import { checkInputsOnVolumes, lakeOffVolumes, unmappedInputs } from './input-volumes.ts';

const pipeline = minimalPipeline('harp-daily', { engine: { launcher: 'k8s-operator', volumes: [{ claim: 'harp-landing', mount: '/landing/harp' }] } });

describe('inputs of a run on Kubernetes', () => {
  it('may be S3 URIs or paths under a declared volume mount', () => {
    expect(unmappedInputs(pipeline, ['s3://lake/a.parquet', 's3a://lake/b.parquet', '/landing/harp/2026/a.parquet', 'file:///landing/harp/b.parquet'])).toEqual([]);
  });

  it('refuses a landing path no volume maps, naming the pipeline and the path', () => {
    const inputs = ['/landing/harp/ok.parquet', '/srv/landing/other.parquet', '/landing/harpoon/x.parquet'];
    expect(unmappedInputs(pipeline, inputs)).toEqual(['/srv/landing/other.parquet', '/landing/harpoon/x.parquet']);
    let error: unknown;
    try {
      checkInputsOnVolumes(pipeline, inputs);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toContain('pipeline "harp-daily"');
    expect((error as Error).message).toContain('/srv/landing/other.parquet');
    expect((error as Error).message).toContain('/landing/harp');
  });
});

describe('a file:// lake for runs on Kubernetes', () => {
  const onCluster = (name: string, volumes: unknown[], extra: Record<string, unknown> = {}) => minimalPipeline(name, { engine: { launcher: 'k8s-native', volumes, ...extra } });
  const pipelines = [
    onCluster('lake-mounted', [{ claim: 'lake', mount: '/data', read_only: false }]),
    onCluster('lake-read-only', [{ claim: 'lake', mount: '/data' }]),
    onCluster('no-volume', []),
    onCluster('elsewhere', [{ claim: 'other', mount: '/data/lakehouse', read_only: false }]),
    onCluster('falls-back', [], { kind: 'embedded' }),
    onCluster('embedded-only', [], { kind: 'embedded', fallback: 'none' }),
    minimalPipeline('local', {}),
  ];

  it('names the pipelines whose drivers would write it inside their own containers', () => {
    expect(lakeOffVolumes(pipelines, 'file:///data/lake')).toEqual(['lake-read-only', 'no-volume', 'elsewhere', 'falls-back']);
  });

  it('is no concern with an s3:// lake', () => {
    expect(lakeOffVolumes(pipelines, 's3://bucket/lake')).toEqual([]);
  });
});
