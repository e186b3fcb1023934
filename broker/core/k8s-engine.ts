// The parts of a pipeline's `engine` that only the Kubernetes launchers read: where the driver
// and executors run (namespace, image, service account), how big they are, what they mount and
// which environment they get. Validated at load like the rest of the pipeline, so that a typo
// (`memory: 8`, a negative executor count) is refused with its field path before any job runs.
// Secrets appear only as references to Kubernetes Secrets, never as values.
import { z } from 'zod';

/** A JVM size as Spark takes it: 512m, 2g. A bare number is refused (Spark would read bytes). */
export const JvmSizeSchema = z.string().regex(/^\d+[kmgtKMGT]$/, 'must be a JVM size with a unit, such as 1g or 512m');

/** A DNS-1123 label: what Kubernetes accepts for namespaces, service accounts and claims. */
export const K8sNameSchema = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes name: lowercase letters, digits and "-", starting and ending with a letter or digit');

/** A Secret's name may hold dots as well (DNS-1123 subdomain). */
const SecretNameSchema = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes Secret name (lowercase letters, digits, "-" and ".")');

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_LIKE = /(secret|password|passwd|token|credential|access_key|private_key|api_key)/i;

export const DriverSchema = z
  .object({
    cores: z.number().int().min(1).max(64).default(1),
    memory: JvmSizeSchema.default('1g'),
  })
  .strict();

export const ExecutorSchema = z
  .object({
    instances: z.number().int().min(1, 'must be at least 1').max(1_000).default(2),
    cores: z.number().int().min(1).max(64).default(1),
    memory: JvmSizeSchema.default('1g'),
  })
  .strict();

/** Spark on Kubernetes has no external shuffle service: dynamic allocation needs shuffle tracking (the launchers set it). */
export const DynamicAllocationSchema = z
  .object({
    enabled: z.boolean().default(false),
    min: z.number().int().min(0).default(0),
    max: z.number().int().min(1).max(1_000).default(10),
  })
  .strict()
  .superRefine((allocation, ctx) => {
    if (allocation.min > allocation.max) ctx.addIssue({ code: 'custom', path: ['min'], message: `must not exceed max (${allocation.max})` });
  });

export const EnvVarSchema = z
  .object({
    name: z.string().regex(ENV_NAME, 'must be an environment variable name'),
    value: z.string().optional(),
    secret: z.object({ name: SecretNameSchema, key: z.string().min(1).max(253) }).strict().optional(),
  })
  .strict()
  .superRefine((env, ctx) => {
    if ((env.value === undefined) === (env.secret === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'needs exactly one of value and secret' });
    } else if (env.value !== undefined && SECRET_LIKE.test(env.name)) {
      // Pipelines are served by the API and copied into specs: a secret goes by reference.
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${env.name} looks like a secret: give it as secret: { name, key } (a Kubernetes Secret), never as a value` });
    }
  });

export const VolumeSchema = z
  .object({
    claim: K8sNameSchema,
    mount: z.string().regex(/^\/[^\0]*$/, 'must be an absolute path').refine((path) => !path.split('/').includes('..'), 'must not contain ".."'),
    read_only: z.boolean().default(true),
  })
  .strict();

export const TolerationSchema = z
  .object({
    key: z.string().optional(),
    operator: z.enum(['Equal', 'Exists']).optional(),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    toleration_seconds: z.number().int().min(0).optional(),
  })
  .strict();

export const PodTemplateSchema = z
  .object({
    node_selector: z.record(z.string(), z.string()).default({}),
    tolerations: z.array(TolerationSchema).default([]),
    labels: z.record(z.string(), z.string()).default({}),
    annotations: z.record(z.string(), z.string()).default({}),
  })
  .strict();

/** The Kubernetes fields of `engine`, merged into EngineSchema (pipeline.ts). */
export const K8sEngineFields = {
  /** Default: the worker's SLUICE_K8S_NAMESPACE. */
  namespace: K8sNameSchema.optional(),
  /** Default: the worker's SLUICE_K8S_SPARK_IMAGE. */
  image: z.string().regex(/^[^\s]+$/, 'must be an image reference without spaces').optional(),
  service_account: K8sNameSchema.default('spark'),
  driver: DriverSchema.default(DriverSchema.parse({})),
  executor: ExecutorSchema.default(ExecutorSchema.parse({})),
  dynamic_allocation: DynamicAllocationSchema.default(DynamicAllocationSchema.parse({})),
  env: z.array(EnvVarSchema).default([]),
  volumes: z.array(VolumeSchema).default([]),
  pod_template: PodTemplateSchema.default(PodTemplateSchema.parse({})),
};

export const KUBERNETES_LAUNCHERS = ['k8s-operator', 'k8s-native'] as const;
export type KubernetesLauncher = (typeof KUBERNETES_LAUNCHERS)[number];

/** Whether a launcher's name (a pipeline's `engine.launcher`) is one of the Kubernetes ones. */
export const isKubernetesLauncher = (launcher: string): launcher is KubernetesLauncher => (KUBERNETES_LAUNCHERS as readonly string[]).includes(launcher);
