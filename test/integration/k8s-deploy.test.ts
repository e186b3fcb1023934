// deploy/: the Helm chart is rendered with the pinned helm and applied in a server-side dry run
// to a real kube-apiserver (test/harness/k8s-cluster.ts), so Kubernetes itself validates every
// manifest, with default values and with everything switched on (ci/all-on-values.yaml); the
// pods pass the "restricted" Pod Security Standard. The broker's Role is proven minimal: the
// chart's ServiceAccount, Role and RoleBinding are created for real, and what the
// ServiceAccount's own token may do (SelfSubjectRulesReview) is exactly the RBAC table of
// deploy/README.md; the same for the Spark drivers' ServiceAccount, which the chart annotates as
// asked. deploy/rbac/ must be what the chart renders, and
// the images must pin what spark-apps/ and scripts/versions.env pin. Without the binaries
// (scripts/setup builds them) the cluster part says it was skipped and why.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ConfigSchema } from '../../broker/config.ts';
import { KubeCluster, k8sBinDir, k8sUnavailable } from '../harness/k8s-cluster.ts';
import { waitFor } from '../harness/wait-for.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHART = join(ROOT, 'deploy/helm/sluice');
const ALL_ON = join(CHART, 'ci/all-on-values.yaml');
const RELEASE_NS = 'sluice';
const SPARK_NAMESPACES = ['analytics', 'reporting'];
/** rbac.sparkNamespaces of the chart's default values. */
const DEFAULT_SPARK_NAMESPACE = 'spark';

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: unknown };
type PolicyRule = { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[] };
type RulesReview = { status: { resourceRules: PolicyRule[]; incomplete: boolean; evaluationError?: string } };

// What the RBAC table of deploy/README.md allows, written out here rather than read from the
// chart: the test compares the chart against the review, not the chart against itself.
const BROKER_RULES = [
  ...['create', 'get', 'list', 'watch', 'delete'].map((verb) => `sparkoperator.k8s.io/sparkapplications:${verb}`),
  ...['pods', 'services', 'configmaps'].flatMap((resource) => ['create', 'get', 'list', 'watch', 'delete'].map((verb) => `core/${resource}:${verb}`)),
  'core/pods/log:get',
  'core/events:list',
].sort();
const DRIVER_RESOURCES = ['configmaps', 'persistentvolumeclaims', 'pods', 'services'];

const helmBinary = join(k8sBinDir(), 'helm');
const helmMissing = existsSync(helmBinary) ? undefined : `helm is not built in ${k8sBinDir()}: run scripts/setup (scripts/k8s-tools builds it)`;
const clusterMissing = k8sUnavailable();
const helmHome = mkdtempSync(join(tmpdir(), 'sluice-helm-'));

/** `helm template` of the chart; throws with helm's message unless `allowError`. */
function helmTemplate(args: string[], options: { allowError?: boolean } = {}): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(helmBinary, ['template', 'sluice', CHART, '--namespace', RELEASE_NS, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: helmHome, HELM_CACHE_HOME: join(helmHome, 'cache'), HELM_CONFIG_HOME: join(helmHome, 'config'), HELM_DATA_HOME: join(helmHome, 'data') },
  });
  const outcome = { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  if (outcome.code !== 0 && !options.allowError) throw new Error(`helm template ${args.join(' ')} failed: ${outcome.stderr}`);
  return outcome;
}

function manifests(yamlText: string): Manifest[] {
  return parseAllDocuments(yamlText)
    .map((document) => document.toJS() as Manifest | null)
    .filter((document): document is Manifest => document !== null);
}

function toYaml(documents: Manifest[]): string {
  return documents.map((document) => JSON.stringify(document)).join('\n---\n');
}

/** "group/resource:verb" for every verb and resource of the rules (core for the "" group). */
function expand(rules: PolicyRule[]): string[] {
  const tuples = new Set<string>();
  for (const rule of rules) {
    expect(rule.resourceNames ?? []).toEqual([]);
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs) tuples.add(`${group === '' ? 'core' : group}/${resource}:${verb}`);
      }
    }
  }
  return [...tuples].sort();
}

function pins(file: string, pattern: RegExp): Record<string, string> {
  const found: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
    const match = pattern.exec(line);
    if (match) found[match[1]!] = match[2]!;
  }
  return found;
}

afterAll(() => rmSync(helmHome, { recursive: true, force: true }));

describe('deploy/ images', () => {
  const requirement = /^([a-z0-9_.-]+)==(\S+)/;

  it('install the PySpark and pyarrow that spark-apps/requirements.txt pins, and base the Spark image on that Spark', () => {
    const app = pins('spark-apps/requirements.txt', requirement);
    const local = pins('deploy/docker/requirements-local-spark.txt', requirement);
    const sparkImage = pins('deploy/docker/requirements-spark-apps.txt', requirement);
    expect(local.pyspark).toBe(app.pyspark);
    expect(local.pyarrow).toBe(app.pyarrow);
    expect(sparkImage.pyarrow).toBe(app.pyarrow);
    const dockerfile = readFileSync(join(ROOT, 'deploy/docker/Dockerfile.spark-apps'), 'utf8');
    expect(dockerfile).toContain(`ARG SPARK_IMAGE=apache/spark:${app.pyspark}@sha256:`);
  });

  it('fetch the S3A jars at the versions scripts/versions.env pins, with one checksum for each', () => {
    const versions = pins('scripts/versions.env', /^([A-Z0-9_]+)=(\S+)$/);
    const args = ['Dockerfile.sluice', 'Dockerfile.spark-apps'].map((file) => pins(`deploy/docker/${file}`, /^ARG ([A-Z0-9_]+)=(\S+)$/));
    for (const arg of args) {
      expect(arg.HADOOP_AWS_VERSION).toBe(versions.HADOOP_AWS_VERSION);
      expect(arg.AWS_SDK_BUNDLE_VERSION).toBe(versions.AWS_SDK_BUNDLE_VERSION);
      expect(arg.HADOOP_AWS_SHA256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(args[0]!.HADOOP_AWS_SHA256).toBe(args[1]!.HADOOP_AWS_SHA256);
    expect(args[0]!.AWS_SDK_BUNDLE_SHA256).toBe(args[1]!.AWS_SDK_BUNDLE_SHA256);
  });

  it("serve the dashboard: the Sluice image builds it in a stage of its own and points SLUICE_UI_DIR at the copy", () => {
    // No Docker engine runs on the CI machines, so the image is read rather than built; the
    // stage's two commands are the ones scripts/setup runs (npm ci, npm run build:ui).
    const dockerfile = readFileSync(join(ROOT, 'deploy/docker/Dockerfile.sluice'), 'utf8');
    const stage = /^FROM \$\{NODE_IMAGE\} AS ui$([\s\S]*?)^FROM /m.exec(dockerfile)?.[1] ?? '';
    expect(stage).toMatch(/^RUN npm ci /m);
    expect(stage).toMatch(/^COPY broker \.\/broker$/m);
    expect(stage).toMatch(/^RUN npm run build:ui$/m);
    const copied = /^COPY --from=ui \/opt\/sluice\/\.sluice\/ui (\S+)$/m.exec(dockerfile)?.[1];
    expect(copied).toBe('./ui');
    expect(dockerfile).toMatch(/SLUICE_UI_DIR=\/opt\/sluice\/ui /);
    // What build:ui writes is what the stage copies.
    expect(readFileSync(join(ROOT, 'broker/ui/vite.config.ts'), 'utf8')).toContain("outDir: here('../../.sluice/ui')");
  });
});

if (helmMissing) {
  console.warn(`Helm chart tests skipped: ${helmMissing}`);
  describe('the Helm chart', () => {
    it.skip('renders (run scripts/setup to build helm)', () => undefined);
  });
} else {
  describe('the Helm chart', () => {
    it('is the one source of deploy/rbac/: the plain manifests are its rendering', () => {
      const committed = readFileSync(join(ROOT, 'deploy/rbac/sluice-rbac.yaml'), 'utf8');
      // The command written in the file's header, run here.
      const rendered = helmTemplate(['--set', 'rbac.sparkNamespaces={spark}', '--show-only', 'templates/serviceaccount.yaml', '--show-only', 'templates/rbac.yaml'])
        .stdout.split('\n')
        .filter((line) => !/^# Source:|helm\.sh\/chart:|app\.kubernetes\.io\/managed-by:|app\.kubernetes\.io\/version:/.test(line))
        .join('\n');
      const body = committed.slice(committed.indexOf('\n---\n') + 1);
      expect(body.trim()).toBe(rendered.trim());
    });

    it('refuses settings it owns, secrets in plain config, and probes it could not make', () => {
      const refused = (set: string, message: RegExp) => {
        const result = helmTemplate(set.split(' ').flatMap((one) => ['--set', one]), { allowError: true });
        expect(result.code, set).not.toBe(0);
        expect(result.stderr).toMatch(message);
      };
      refused('config.SLUICE_REDIS_URL=redis://elsewhere:6379', /the chart sets SLUICE_REDIS_URL itself/);
      refused('config.SLUICE_SQL_REPORTING_URL=postgres://u:p@db/r', /holds a secret: .*secretEnv\.SLUICE_SQL_REPORTING_URL/);
      refused('config.SLUICE_S3_SECRET_ACCESS_KEY=abc', /holds a secret/);
      refused('worker.config.SLUICE_METRICS_PORT=off', /probes/);
      refused('config.NOT_SLUICE=1', /additional properties 'NOT_SLUICE' not allowed/);
      refused('redis.bundled.enabled=false', /redis\.external\.urlSecret\.name/);
      // A webhook's URL and signing secret are secrets too.
      refused('config.SLUICE_WEBHOOK_OPS_SECRET=hunter2', /holds a secret: .*secretEnv\.SLUICE_WEBHOOK_OPS_SECRET/);
      refused('config.SLUICE_WEBHOOK_OPS_URL=https://hooks.example/t0ken', /holds a secret/);
      // A typo would be ignored by every pod: refused, named.
      refused('config.SLUICE_K8S_KUBE_CONFIG=in-cluster', /config\.SLUICE_K8S_KUBE_CONFIG: Sluice has no such setting/);
      refused('secretEnv.SLUICE_SQL_REPORTING_URI.secretName=s secretEnv.SLUICE_SQL_REPORTING_URI.key=k', /secretEnv\.SLUICE_SQL_REPORTING_URI: Sluice has no such setting/);
      refused('secretEnv.SLUICE_REDIS_URL.secretName=s secretEnv.SLUICE_REDIS_URL.key=k', /the chart sets SLUICE_REDIS_URL itself/);
      refused('config.SLUICE_K8S_KUBECONFIG=/etc/kubeconfig', /the chart sets SLUICE_K8S_KUBECONFIG itself/);
      refused('config.SLUICE_K8S_NAMESPACE=elsewhere', /"elsewhere" is not one of rbac\.sparkNamespaces \(spark\)/);
      refused('rbac.sparkNamespaces=null', /rbac\.sparkNamespaces: name the namespaces Spark runs in/);
      // Sluice would refuse it at start in every pod: the chart says so first.
      refused('config.SLUICE_SHUTDOWN_GRACE=30', /SLUICE_SHUTDOWN_GRACE "30" has no unit and would be 30 milliseconds: write its unit, as in 30s/);
    });

    it('knows every setting Sluice reads, and no other', () => {
      const helpers = readFileSync(join(CHART, 'templates/_helpers.tpl'), 'utf8');
      const block = /define "sluice\.knownSettings" -}}([\s\S]*?){{- end }}/.exec(helpers)?.[1] ?? '';
      expect(block.trim().split(/\s+/).sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
    });

    it('turns the Kubernetes launchers on where a pod has a token, in the first Spark namespace, and rolls workers one out before one in', () => {
      const docs = manifests(helmTemplate([]).stdout);
      const envOf = (role: string) => {
        const deployment = docs.find((doc) => doc.kind === 'Deployment' && doc.metadata.name === `sluice-${role}`) as unknown as { spec: { template: { spec: { automountServiceAccountToken: boolean; containers: Array<{ env: Array<{ name: string; value?: string }> }> } } } };
        const pod = deployment.spec.template.spec;
        return { token: pod.automountServiceAccountToken, env: Object.fromEntries(pod.containers[0]!.env.map((variable) => [variable.name, variable.value])) };
      };
      for (const role of ['api', 'worker']) {
        const { token, env } = envOf(role);
        expect(token).toBe(true);
        expect(env.SLUICE_K8S_KUBECONFIG).toBe('in-cluster');
        expect(env.SLUICE_K8S_NAMESPACE).toBe(DEFAULT_SPARK_NAMESPACE);
      }
      const watch = envOf('watch');
      expect(watch.token).toBe(false);
      expect(watch.env.SLUICE_K8S_KUBECONFIG).toBeUndefined();
      // Sluice's own namespace gets no Role by default.
      expect(docs.filter((doc) => doc.kind === 'Role').map((doc) => doc.metadata.namespace)).toEqual([DEFAULT_SPARK_NAMESPACE, DEFAULT_SPARK_NAMESPACE]);
      const worker = docs.find((doc) => doc.kind === 'Deployment' && doc.metadata.name === 'sluice-worker') as unknown as { spec: { strategy: unknown } };
      expect(worker.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
      // Another Spark namespace named in config is taken when it is one of the chart's.
      const chosen = manifests(helmTemplate(['-f', ALL_ON, '--set', 'worker.config.SLUICE_K8S_NAMESPACE=reporting']).stdout);
      expect(JSON.stringify(chosen.find((doc) => doc.kind === 'Deployment' && doc.metadata.name === 'sluice-worker'))).toContain('"name":"SLUICE_K8S_NAMESPACE","value":"reporting"');
    });

    it("annotates the drivers' ServiceAccount in every Spark namespace when asked, and only then", () => {
      const driverAccounts = (docs: Manifest[]) =>
        docs.filter((doc) => doc.kind === 'ServiceAccount' && doc.metadata.name === 'spark') as Array<Manifest & { metadata: { annotations?: Record<string, string> } }>;
      const annotated = driverAccounts(manifests(helmTemplate(['-f', ALL_ON, '--show-only', 'templates/rbac.yaml']).stdout));
      expect(annotated.map((account) => account.metadata.namespace)).toEqual(SPARK_NAMESPACES);
      for (const account of annotated) expect(account.metadata.annotations).toEqual({ 'example.com/team': 'analytics' });
      const plain = driverAccounts(manifests(helmTemplate(['--show-only', 'templates/rbac.yaml']).stdout));
      expect(plain.map((account) => account.metadata.annotations)).toEqual([undefined]);
      // Sluice's own ServiceAccount keeps its own annotations.
      const own = manifests(helmTemplate(['-f', ALL_ON, '--show-only', 'templates/serviceaccount.yaml']).stdout) as Array<Manifest & { metadata: { annotations?: Record<string, string> } }>;
      expect(own.map((account) => account.metadata.annotations)).toEqual([undefined]);
    });

    it('puts every role on the same settings, with secrets only as references', () => {
      const docs = manifests(helmTemplate(['-f', ALL_ON]).stdout);
      const deployments = docs.filter((doc) => doc.kind === 'Deployment');
      expect(deployments.map((doc) => doc.metadata.name).sort()).toEqual(['sluice-api', 'sluice-watch', 'sluice-worker']);
      for (const deployment of deployments) {
        const pod = (deployment as unknown as { spec: { template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string; value?: string; valueFrom?: unknown }> }>; enableServiceLinks: boolean } } } }).spec.template.spec;
        const env = Object.fromEntries(pod.containers[0]!.env.map((variable) => [variable.name, variable]));
        expect(pod.enableServiceLinks).toBe(false);
        expect(env.SLUICE_LAKE_URI?.value).toBe('s3://lake/sluice');
        expect(env.SLUICE_LANDING_ROOTS?.value).toBe('/landing/harp:/landing/reference');
        expect(env.SLUICE_SQL_REPORTING_URL?.valueFrom).toEqual({ secretKeyRef: { name: 'sluice-sql', key: 'reporting-url' } });
        expect(env.SLUICE_REDIS_URL?.value).toBe('redis://:$(SLUICE_BUNDLED_REDIS_PASSWORD)@sluice-redis:6379/0');
      }
      // No Secret is made: every secret is a reference (the Redis password too, with existingSecret).
      expect(docs.filter((doc) => doc.kind === 'Secret')).toEqual([]);
      const worker = deployments.find((doc) => doc.metadata.name === 'sluice-worker')!;
      expect(JSON.stringify(worker)).toContain('"name":"SLUICE_WORKER_CONCURRENCY","value":"32"');
      expect(JSON.stringify(worker)).toContain('"terminationGracePeriodSeconds":105'); // SLUICE_SHUTDOWN_GRACE 1.5m + 15 s
    });
  });
}

if (clusterMissing) {
  console.warn(`Helm chart server-side validation and RBAC minimality skipped: ${clusterMissing}`);
  describe('the Helm chart on a real API server', () => {
    it.skip('validates and proves the RBAC minimal (run scripts/setup to build the control plane)', () => undefined);
  });
} else {
  describe('the Helm chart on a real API server', () => {
    let cluster: KubeCluster;

    beforeAll(async () => {
      cluster = await KubeCluster.start();
      for (const namespace of [RELEASE_NS, DEFAULT_SPARK_NAMESPACE, ...SPARK_NAMESPACES]) await cluster.createNamespace(namespace);
      // The API server's Pod Security admission warns about any pod template that breaks the
      // restricted standard: the dry runs below must draw no such warning.
      const label = await cluster.kubectl(['label', 'namespace', RELEASE_NS, 'pod-security.kubernetes.io/warn=restricted', 'pod-security.kubernetes.io/audit=restricted']);
      expect(label.code, label.stderr).toBe(0);
    }, 120_000);

    afterAll(async () => {
      await cluster?.stop();
    });

    /** A server-side dry run of the documents: Kubernetes validates each (schema, fields, admission) and stores nothing. */
    const dryRun = async (documents: Manifest[]) => {
      const result = await cluster.kubectl(['apply', '--server-side', '--dry-run=server', '--field-manager=sluice-chart-test', '-f', '-'], { input: toYaml(documents) });
      expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
      expect(result.stderr).not.toMatch(/would violate PodSecurity|unknown field|Warning/);
      expect(result.stdout.trim().split('\n')).toHaveLength(documents.length);
      expect(result.stdout).toMatch(/serverside-applied \(server dry run\)/);
      return result;
    };

    it('applies with default values: every manifest valid, every pod within the restricted standard', async () => {
      const docs = manifests(helmTemplate([]).stdout);
      expect(docs.map((doc) => doc.kind)).toEqual(expect.arrayContaining(['Deployment', 'StatefulSet', 'Service', 'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'ServiceAccount', 'ConfigMap', 'Secret']));
      expect(docs.some((doc) => doc.kind === 'ServiceMonitor')).toBe(false);
      await dryRun(docs);
    });

    it('applies with everything switched on (two Spark namespaces, egress rules, external secrets, landings)', async () => {
      const docs = manifests(helmTemplate(['-f', ALL_ON, '--set', 'serviceMonitor.enabled=false']).stdout);
      expect(docs.filter((doc) => doc.kind === 'Role').map((doc) => `${doc.metadata.namespace}/${doc.metadata.name}`).sort()).toEqual([
        'analytics/sluice-launcher', 'analytics/sluice-spark-driver', 'reporting/sluice-launcher', 'reporting/sluice-spark-driver',
      ]);
      await dryRun(docs);
    });

    it('renders a ServiceMonitor only when asked, one the Prometheus Operator CRD accepts', async () => {
      // The operator's CRD is not part of this cluster: a CRD with the schema of the fields the
      // chart sets (monitoring.coreos.com/v1 ServiceMonitorSpec) stands in for it.
      const crd = await cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: JSON.stringify(SERVICE_MONITOR_CRD) });
      expect(crd.code, crd.stderr).toBe(0);
      await waitFor('the ServiceMonitor CRD to be served', async () => {
        const response = await cluster.request('GET', `/apis/monitoring.coreos.com/v1/namespaces/${RELEASE_NS}/servicemonitors`, undefined, { allowError: true });
        return response.status === 200 ? true : undefined;
      }, 20_000, 200);
      const docs = manifests(helmTemplate(['-f', ALL_ON, '--show-only', 'templates/servicemonitor.yaml']).stdout);
      expect(docs).toHaveLength(1);
      const monitor = docs[0]! as unknown as { spec: { endpoints: Array<{ port: string; authorization?: unknown }> } };
      expect(monitor.spec.endpoints.map((endpoint) => endpoint.port)).toEqual(['metrics', 'http']);
      await dryRun(docs);
    });

    it('installs and upgrades with helm, keeping the generated Redis password', async () => {
      const install = await cluster.helm(['install', 'sluice', CHART, '--namespace', RELEASE_NS, '--set', 'rbac.sparkNamespaces={analytics}']);
      expect(install.code, install.stderr).toBe(0);
      expect(install.stdout).toContain('No API keys are configured');
      const password = async () => (await cluster.request<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${RELEASE_NS}/secrets/sluice-redis`)).body.data['redis-password'];
      const first = await password();
      expect(Buffer.from(first!, 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/);
      // An upgrade that changes a setting rolls the pods but must not change the password the
      // Redis volume's clients use.
      const upgrade = await cluster.helm(['upgrade', 'sluice', CHART, '--namespace', RELEASE_NS, '--reuse-values', '--set', 'config.SLUICE_LOG_LEVEL=debug']);
      expect(upgrade.code, upgrade.stderr).toBe(0);
      expect(await password()).toBe(first);
      const uninstall = await cluster.helm(['uninstall', 'sluice', '--namespace', RELEASE_NS, '--wait']);
      expect(uninstall.code, uninstall.stderr).toBe(0);
    });

    it("gives the broker's token exactly the RBAC table's rules in each Spark namespace, and nothing anywhere else", async () => {
      const rbac = manifests(helmTemplate(['-f', ALL_ON, '--show-only', 'templates/serviceaccount.yaml', '--show-only', 'templates/rbac.yaml']).stdout);
      const applied = await cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: toYaml(rbac) });
      expect(applied.code, applied.stderr).toBe(0);

      const review = async (token: string, namespace: string): Promise<string[]> => {
        const response = await cluster.request<RulesReview>('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectRulesReview',
          spec: { namespace },
        }, { token });
        expect(response.body.status.incomplete, response.body.status.evaluationError).toBe(false);
        return expand(response.body.status.resourceRules);
      };
      const broker = await cluster.tokenFor(RELEASE_NS, 'sluice');
      // What every authenticated user may do (ask about itself): the review's baseline.
      const baseline = await review(broker, 'default');
      for (const tuple of baseline) expect(tuple).toMatch(/^(authorization|authentication)\.k8s\.io\/self\w+reviews:create$/);

      // RBAC applies what the API server's informers have seen: wait for the bindings.
      await waitFor('the RoleBindings to take effect', async () => ((await review(broker, SPARK_NAMESPACES[0]!)).length > baseline.length ? true : undefined), 10_000, 100);
      for (const namespace of SPARK_NAMESPACES) {
        expect(await review(broker, namespace)).toEqual([...new Set([...baseline, ...BROKER_RULES])].sort());
      }
      // Nothing in its own namespace (not even its own Secrets), nothing in another.
      expect(await review(broker, RELEASE_NS)).toEqual(baseline);
      expect(await review(broker, 'kube-system')).toEqual(baseline);

      // The review is what the API server enforces: a request of each kind, as the broker.
      const spark = `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${SPARK_NAMESPACES[0]}/sparkapplications`;
      expect((await cluster.request('GET', spark, undefined, { token: broker, allowError: true })).status).toBe(200);
      expect((await cluster.request('GET', `/api/v1/namespaces/${SPARK_NAMESPACES[0]}/secrets`, undefined, { token: broker, allowError: true })).status).toBe(403);
      expect((await cluster.request('GET', '/api/v1/namespaces', undefined, { token: broker, allowError: true })).status).toBe(403);

      // The drivers: their executors' pods, services, config maps and volumes, in their own namespace only.
      for (const namespace of SPARK_NAMESPACES) {
        const driver = await cluster.tokenFor(namespace, 'spark');
        const rules = (await review(driver, namespace)).filter((tuple) => !baseline.includes(tuple));
        expect([...new Set(rules.map((tuple) => tuple.split(':')[0]))].sort()).toEqual(DRIVER_RESOURCES.map((resource) => `core/${resource}`));
        expect(await review(driver, RELEASE_NS)).toEqual(baseline);
        const other = SPARK_NAMESPACES.find((name) => name !== namespace)!;
        expect(await review(driver, other)).toEqual(baseline);
      }
    });
  });
}

/**
 * A stand-in for the Prometheus Operator's ServiceMonitor CRD: the real group, version and kind,
 * and a structural schema of the ServiceMonitorSpec fields the chart sets (names, types and the
 * operator's duration pattern), no others, so an unknown or misspelled field is refused.
 */
const DURATION = '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$';
const SERVICE_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'servicemonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    names: { kind: 'ServiceMonitor', listKind: 'ServiceMonitorList', plural: 'servicemonitors', singular: 'servicemonitor' },
    scope: 'Namespaced',
    versions: [{
      name: 'v1',
      served: true,
      storage: true,
      schema: {
        openAPIV3Schema: {
          type: 'object',
          required: ['spec'],
          properties: {
            spec: {
              type: 'object',
              required: ['selector'],
              properties: {
                selector: {
                  type: 'object',
                  properties: {
                    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
                    matchExpressions: {
                      type: 'array',
                      items: { type: 'object', required: ['key', 'operator'], properties: { key: { type: 'string' }, operator: { type: 'string' }, values: { type: 'array', items: { type: 'string' } } } },
                    },
                  },
                },
                namespaceSelector: { type: 'object', properties: { any: { type: 'boolean' }, matchNames: { type: 'array', items: { type: 'string' } } } },
                endpoints: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      port: { type: 'string' },
                      path: { type: 'string' },
                      interval: { type: 'string', pattern: DURATION },
                      scrapeTimeout: { type: 'string', pattern: DURATION },
                      authorization: {
                        type: 'object',
                        properties: {
                          type: { type: 'string' },
                          credentials: { type: 'object', required: ['key'], properties: { name: { type: 'string' }, key: { type: 'string' }, optional: { type: 'boolean' } } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    }],
  },
};
