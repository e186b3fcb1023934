// Starts a real Kubernetes control plane for the Kubernetes tests, on free loopback ports in its
// own temporary folder: etcd, kube-apiserver (RBAC on, its own CA, serving certificate and
// service-account signing key made at start, static tokens for the admin and the components),
// kube-controller-manager (service accounts and their tokens, garbage collection, namespace
// deletion, node lifecycle, ...), kube-scheduler, and kwok playing the kubelets of fake nodes and
// the Spark Operator (stages in test/harness/kwok/, which say what their annotations do). The
// SparkApplication CRD of deploy/crds/ is installed before kwok starts, since kwok only follows
// resources that the API server publishes when it starts.
//
// The binaries are the ones scripts/k8s-tools builds (scripts/setup runs it) at the versions
// pinned in scripts/k8s-versions.env, found in the same cache folder by the same stamp. Nothing
// runs in containers: pods get fake IPs, so tests talk to the API server only, never to a pod.
// Warm, the cluster starts in 3-9 s (two cores, other tests beside it) and takes ~550 MB.
//
//   if (k8sUnavailable()) ... skip, printing why              // binaries not built: run scripts/setup
//   const cluster = await KubeCluster.start();
//   cluster.server, cluster.kubeconfigPath, cluster.adminToken, cluster.caPath
//   await cluster.request('GET', '/api/v1/namespaces')        // as the admin, or { token }
//   await cluster.tokenFor('analytics', 'sluice')              // a bound ServiceAccount token
//   await cluster.kubectl(['apply', '-f', '-'], { input })    // and cluster.helm([...])
//   await cluster.restartApiServer()                           // same port, certificates and etcd
//   await cluster.stop()                                       // every process by pid, then the folder
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpsRequest } from 'node:https';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { freePort } from './free-port.ts';

const execFileAsync = promisify(execFile);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PINS_FILE = join(ROOT, 'scripts/k8s-versions.env');
/** The files scripts/k8s-tools hashes into its stamp, in its order: keep the two lists alike. */
const STAMPED_FILES = ['scripts/k8s-versions.env', 'scripts/k8s-build/go.mod', 'scripts/k8s-build/go.sum', 'scripts/k8s-build/cmd/etcd/main.go'];
const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kwok', 'helm'] as const;
export type KubeBinary = (typeof BINARIES)[number];

export const CRD_FILE = join(ROOT, 'deploy/crds/sparkoperator.k8s.io_sparkapplications.yaml');
const KWOK_STAGES = ['node.yaml', 'pod.yaml', 'sparkapplication.yaml'].map((name) => join(ROOT, 'test/harness/kwok', name));
/** The group and version the launchers use; kwok starts once /openapi/v3 lists it. */
const SPARK_GROUP_VERSION = 'sparkoperator.k8s.io/v1beta2';

/** Address ranges that exist only inside the simulated cluster (nothing listens there). */
const SERVICE_CIDR = '10.96.0.0/16';
const SERVICE_IP = '10.96.0.1';
const POD_CIDR = '10.244.0.1/16';
const NODE_IP = '10.240.0.1';
/** Every fake node the same size: large enough for any test's Spark pods, so "unschedulable" is only ever what a test asks for. */
const NODE_CAPACITY = { cpu: '32', memory: '256Gi', pods: '110' };

const STOP_GRACE_MS = 5_000;
const START_TIMEOUT_MS = 60_000;

/** The pins of scripts/k8s-versions.env: plain KEY=VALUE lines. */
export function k8sVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of readFileSync(PINS_FILE, 'utf8').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(\S+)\s*$/.exec(line);
    if (match) versions[match[1]!] = match[2]!;
  }
  return versions;
}

/** `$CACHE/k8s-<KUBERNETES_VERSION>-<stamp>/bin`, as `scripts/k8s-tools --print` says (CACHE as in scripts/setup). */
export function k8sBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash('sha256');
  for (const file of STAMPED_FILES) hash.update(readFileSync(join(ROOT, file)));
  const stamp = hash.digest('hex').slice(0, 12);
  const cache = join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'sluice');
  return join(cache, `k8s-${k8sVersions().KUBERNETES_VERSION}-${stamp}`, 'bin');
}

/** Why the cluster cannot start here (a sentence for a skipped test), or undefined when it can. */
export function k8sUnavailable(): string | undefined {
  const dir = k8sBinDir();
  const missing = BINARIES.filter((name) => !existsSync(join(dir, name)) || !existsSync(join(dir, '..', '.complete')));
  if (missing.length > 0) {
    return `the Kubernetes test binaries (${missing.join(', ')}) are not built in ${dir}: run scripts/setup, which runs scripts/k8s-tools ` +
      '(it builds the versions pinned in scripts/k8s-versions.env from the Go module proxy; about ten minutes the first time)';
  }
  if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status !== 0) {
    return 'openssl is not installed (apt-get install openssl): the cluster makes its certificates with it';
  }
  return undefined;
}

export type KubeClusterOptions = {
  /** Folder for the certificates, kubeconfigs, etcd's data and every log; a new temporary folder when absent (removed by stop()). */
  dir?: string;
  /** How many fake nodes kwok runs (default 2). */
  nodes?: number;
  /** Extra kube-apiserver flags, e.g. ['--etcd-compaction-interval=10s'] for a test of 410 Gone. */
  apiServerArgs?: string[];
};

export type KubeResponse<T = unknown> = { status: number; body: T; text: string };

export type RequestOptions = {
  /** Bearer token to send; the admin's when absent. */
  token?: string;
  /** Content type of the body (JSON bodies default to application/json; patches need their own). */
  contentType?: string;
  /** Resolve with any status instead of throwing on 4xx/5xx. */
  allowError?: boolean;
};

type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

/** One child process of the cluster, its log in the cluster folder. */
class ComponentProcess {
  /** Resolves with how the process ended (its exit, or why it could not start). */
  readonly ended: Promise<string>;
  private hasEnded = false;

  private constructor(
    readonly name: Component,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.ended = new Promise<string>((resolve) => {
      const end = (how: string): void => {
        this.hasEnded = true;
        resolve(how);
      };
      child.once('exit', (code, signal) => end(signal ? `signal ${signal}` : `code ${code}`));
      child.once('error', (error) => end(`error: ${error.message}`)); // e.g. ENOENT, before any exit
    });
  }

  static async spawn(name: Component, binary: string, args: string[], dir: string, env: NodeJS.ProcessEnv = {}): Promise<ComponentProcess> {
    const logFile = join(dir, 'logs', `${name}.log`);
    const log = await open(logFile, 'a');
    try {
      const child = spawn(binary, args, {
        stdio: ['ignore', log.fd, log.fd],
        // A clean environment: no KUBECONFIG, proxy or HOME of the caller's leaks in.
        env: { PATH: process.env.PATH, HOME: dir, ...env },
      });
      return new ComponentProcess(name, child, logFile);
    } finally {
      await log.close(); // the child holds its own copy of the descriptor
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.hasEnded && this.child.pid !== undefined;
  }

  /** SIGTERM, then SIGKILL after the grace period, by pid; resolves once the process is gone. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const kill = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    this.child.kill('SIGTERM');
    await this.ended;
    clearTimeout(kill);
  }

  /** Resident memory in MB (from /proc), 0 once it has exited. */
  async rssMB(): Promise<number> {
    if (!this.running) return 0;
    try {
      const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
      const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
      return kb / 1024;
    } catch {
      return 0;
    }
  }
}

/** A kubeconfig for one identity: the cluster's CA and a static bearer token. */
function kubeconfig(server: string, caPath: string, user: string, token: string, namespace = 'default'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: sluice-test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${caPath}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: sluice-test',
    '  context:',
    '    cluster: sluice-test',
    `    user: ${user}`,
    `    namespace: ${namespace}`,
    'current-context: sluice-test',
    '',
  ].join('\n');
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

export class KubeCluster {
  private readonly processes = new Map<Component, ComponentProcess>();
  /** Keeps connections to the API server open and trusts only the cluster's CA; made once the CA exists. */
  private agent: Agent | undefined;
  private readonly killOnExit = (): void => {
    // The test process is going away without stop(): leave no control plane behind.
    for (const component of this.processes.values()) if (component.running) component.child.kill('SIGKILL');
  };
  private stopped = false;

  private constructor(
    readonly dir: string,
    private readonly ownsDir: boolean,
    readonly bin: string,
    readonly apiServerPort: number,
    private readonly etcdPorts: { client: number; peer: number },
    readonly adminToken: string,
    private readonly componentTokens: Record<'controllerManager' | 'scheduler' | 'kwok', string>,
    private readonly options: KubeClusterOptions,
  ) {
    process.once('exit', this.killOnExit);
  }

  /** https://127.0.0.1:<port>, the API server. */
  get server(): string {
    return `https://127.0.0.1:${this.apiServerPort}`;
  }

  /** The CA that signed the API server's certificate (clients must trust it). */
  get caPath(): string {
    return join(this.dir, 'pki', 'ca.crt');
  }

  /** A kubeconfig with the admin's token (group system:masters). */
  get kubeconfigPath(): string {
    return join(this.dir, 'admin.kubeconfig');
  }

  /** The etcd the API server stores into (http://127.0.0.1:<port>). */
  get etcdUrl(): string {
    return `http://127.0.0.1:${this.etcdPorts.client}`;
  }

  /** The path of one of the built binaries (kubectl, helm, ...), for tests that run them themselves. */
  binary(name: KubeBinary): string {
    return join(this.bin, name);
  }

  /** The log of a component, for a failing test to print. */
  logFile(name: Component): string {
    return join(this.dir, 'logs', `${name}.log`);
  }

  static async start(options: KubeClusterOptions = {}): Promise<KubeCluster> {
    const unavailable = k8sUnavailable();
    if (unavailable) throw new Error(`cannot start the Kubernetes test cluster: ${unavailable}`);
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'sluice-k8s-')));
    await mkdir(join(dir, 'logs'), { recursive: true });
    await mkdir(join(dir, 'pki'), { recursive: true });

    const token = (): string => randomBytes(24).toString('hex');
    const ports = { api: await freePort(), client: await freePort(), peer: await freePort() };
    while (new Set(Object.values(ports)).size < 3) {
      ports.client = await freePort();
      ports.peer = await freePort();
    }
    const cluster = new KubeCluster(
      dir,
      ownsDir,
      k8sBinDir(),
      ports.api,
      { client: ports.client, peer: ports.peer },
      token(),
      { controllerManager: token(), scheduler: token(), kwok: token() },
      options,
    );
    try {
      await cluster.boot();
      return cluster;
    } catch (error) {
      // The folder goes with stop(): keep the logs' last lines in the error.
      const tails = await cluster.logTails();
      await cluster.stop();
      throw new Error(`${(error as Error).message}${tails}`, { cause: error });
    }
  }

  /** The last lines of every component's log, for an error (long lines cut). */
  private async logTails(lines = 15): Promise<string> {
    let text = '';
    for (const name of this.processes.keys()) {
      const log = await readFile(this.logFile(name), 'utf8').catch(() => '');
      const tail = log.trimEnd().split('\n').slice(-lines).map((line) => line.slice(0, 400));
      if (tail.length > 0 && tail[0] !== '') text += `\n--- ${name} (last lines of its log) ---\n${tail.join('\n')}`;
    }
    return text;
  }

  private async boot(): Promise<void> {
    await this.writeFiles();
    this.agent = new Agent({ ca: await readFile(this.caPath), keepAlive: true });
    const started = Date.now();
    const deadline = started + START_TIMEOUT_MS;

    // 1. etcd, then the API server on it.
    await this.startEtcd(deadline);
    await this.startApiServer(deadline);

    // 2. The SparkApplication CRD, Established before the controller manager starts, so that
    // its garbage collector knows SparkApplications from its first discovery (owner references
    // from driver pods, foreground deletion) instead of after its next re-discovery, 30 s later.
    await this.installCrd(deadline);
    await Promise.all([this.startControllerManager(), this.startScheduler()]);

    // 3. kwok, once /openapi/v3 publishes the CRD's group-version, and the fake nodes.
    await this.waitUntil(`/openapi/v3 to list apis/${SPARK_GROUP_VERSION}`, deadline, async () => {
      const response = await this.request<{ paths?: Record<string, unknown> }>('GET', '/openapi/v3');
      return response.body.paths?.[`apis/${SPARK_GROUP_VERSION}`] ? true : undefined;
    });
    await this.createNodes();
    await this.startKwok();

    // 4. Ready for tests: nodes Ready and schedulable, and the controller manager at work.
    await this.waitUntil('fake nodes Ready and untainted', deadline, async () => {
      const nodes = await this.request<{ items: Array<{ spec?: { taints?: unknown[] }; status?: { conditions?: Array<{ type: string; status: string }> } }> }>('GET', '/api/v1/nodes');
      const ready = nodes.body.items.filter((node) => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !(node.spec?.taints?.length));
      return ready.length === (this.options.nodes ?? 2) ? true : undefined;
    });
    await this.waitUntil("the default namespace's ServiceAccount (made by kube-controller-manager)", deadline, async () => {
      const response = await this.request('GET', '/api/v1/namespaces/default/serviceaccounts/default', undefined, { allowError: true });
      return response.status === 200 ? true : undefined;
    });
  }

  /** CA, API server certificate, service-account key pair, static tokens and one kubeconfig per identity. */
  private async writeFiles(): Promise<void> {
    const pki = join(this.dir, 'pki');
    const openssl = async (args: string[]): Promise<void> => {
      await execFileAsync('openssl', args, { cwd: pki });
    };
    // ECDSA P-256 keys: made in milliseconds, accepted by every component.
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '7', '-subj', '/CN=sluice-test-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await openssl(['req', ...ec, '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver']);
    // The names a client inside or outside the cluster may use for the API server.
    const altNames = ['IP:127.0.0.1', `IP:${SERVICE_IP}`, 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local'];
    await writeFile(join(pki, 'apiserver.ext'), [
      `subjectAltName=${altNames.join(',')}`,
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'));
    await openssl(['x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', 'apiserver.crt', '-days', '7', '-extfile', 'apiserver.ext']);

    // The key that signs (and verifies) ServiceAccount tokens.
    const { privateKey, publicKey } = generateKeyPairSync('ec', {
      namedCurve: 'prime256v1',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    await writeFile(join(pki, 'sa.key'), privateKey, { mode: 0o600 });
    await writeFile(join(pki, 'sa.pub'), publicKey);

    // Static tokens (token,user,uid,"groups"). The controller manager and the scheduler use the
    // users that Kubernetes' bootstrap RBAC policy already binds; the admin and kwok (which
    // writes any object's status, as kubelets and the operator do) are cluster admins.
    await writeFile(join(pki, 'tokens.csv'), [
      `${this.adminToken},sluice-admin,sluice-admin,"system:masters"`,
      `${this.componentTokens.controllerManager},system:kube-controller-manager,system:kube-controller-manager`,
      `${this.componentTokens.scheduler},system:kube-scheduler,system:kube-scheduler`,
      `${this.componentTokens.kwok},kwok,kwok,"system:masters"`,
      '',
    ].join('\n'), { mode: 0o600 });

    await writeFile(this.kubeconfigPath, kubeconfig(this.server, this.caPath, 'sluice-admin', this.adminToken), { mode: 0o600 });
    await writeFile(join(this.dir, 'controller-manager.kubeconfig'), kubeconfig(this.server, this.caPath, 'system:kube-controller-manager', this.componentTokens.controllerManager), { mode: 0o600 });
    await writeFile(join(this.dir, 'scheduler.kubeconfig'), kubeconfig(this.server, this.caPath, 'system:kube-scheduler', this.componentTokens.scheduler), { mode: 0o600 });
    await writeFile(join(this.dir, 'kwok.kubeconfig'), kubeconfig(this.server, this.caPath, 'kwok', this.componentTokens.kwok), { mode: 0o600 });
  }

  private async spawn(name: Component, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ComponentProcess> {
    const component = await ComponentProcess.spawn(name, this.binary(name), args, this.dir, env);
    this.processes.set(name, component);
    return component;
  }

  /** Waits for `check` to return a value, failing at once when a component has exited. */
  private async waitUntil<T>(what: string, deadline: number, check: () => Promise<T | undefined>): Promise<T> {
    let waiting = true;
    // Settles only while this wait lasts: a component that ends later is no failure of this wait.
    const exits = [...this.processes.values()].map((component) => component.ended.then((how) => {
      if (waiting) throw new Error(`${component.name} ended (${how}) while waiting for ${what}; see ${component.logFile}`);
      return new Promise<never>(() => undefined);
    }));
    const poll = (async (): Promise<T> => {
      while (waiting) {
        try {
          const value = await check();
          if (value !== undefined) return value;
        } catch {
          // refused or not ready while it starts: expected
        }
        if (Date.now() > deadline) {
          throw new Error(`the Kubernetes test cluster was not up within ${START_TIMEOUT_MS / 1000} s: waited for ${what}; logs in ${join(this.dir, 'logs')}`);
        }
        await sleep(100);
      }
      throw new Error('stopped waiting');
    })();
    try {
      return await Promise.race([poll, ...exits]);
    } finally {
      waiting = false;
      poll.catch(() => undefined);
    }
  }

  private async startEtcd(deadline: number): Promise<void> {
    const { client, peer } = this.etcdPorts;
    await this.spawn('etcd', [
      '--name=sluice',
      `--data-dir=${join(this.dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${client}`,
      `--advertise-client-urls=http://127.0.0.1:${client}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=sluice=http://127.0.0.1:${peer}`,
      // A throwaway store: no fsync (much faster on a shared disk), less logging.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ]);
    await this.waitUntil('etcd /health', deadline, async () => {
      const response = await fetch(`${this.etcdUrl}/health`, { signal: AbortSignal.timeout(1_000) });
      const body = (await response.json()) as { health?: string };
      return body.health === 'true' ? true : undefined;
    });
  }

  private apiServerArgs(): string[] {
    const pki = join(this.dir, 'pki');
    return [
      `--etcd-servers=${this.etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${this.apiServerPort}`,
      `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
      `--client-ca-file=${join(pki, 'ca.crt')}`,
      `--token-auth-file=${join(pki, 'tokens.csv')}`,
      '--authorization-mode=Node,RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // The `kubernetes` Service's endpoints would name 127.0.0.1, which endpoint validation
      // refuses; nothing in the tests connects through that Service.
      '--endpoint-reconciler-type=none',
      // On SIGTERM, end open watches after a second: with the default (0) a graceful shutdown
      // waits on the other components' watches and the stop ends in SIGKILL seconds later.
      '--shutdown-watch-termination-grace-period=1s',
      '--profiling=false',
      ...(this.options.apiServerArgs ?? []),
    ];
  }

  private async startApiServer(deadline: number): Promise<void> {
    await this.spawn('kube-apiserver', this.apiServerArgs());
    await this.waitUntil('kube-apiserver /readyz', deadline, async () => {
      const response = await this.request('GET', '/readyz', undefined, { allowError: true });
      return response.status === 200 ? true : undefined;
    });
  }

  private async installCrd(deadline: number): Promise<void> {
    const crd = parseYaml(await readFile(CRD_FILE, 'utf8')) as { metadata: { name: string } };
    await this.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    await this.waitUntil('the SparkApplication CRD to be Established', deadline, async () => {
      const response = await this.request<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
        'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
      return response.body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
  }

  private async startControllerManager(): Promise<void> {
    const pki = join(this.dir, 'pki');
    await this.spawn('kube-controller-manager', [
      `--kubeconfig=${join(this.dir, 'controller-manager.kubeconfig')}`,
      // One instance: no leader election to wait for (and none to win again after a restart).
      '--leader-elect=false',
      // Each controller acts as its own ServiceAccount, as in a kubeadm cluster, so the
      // bootstrap RBAC roles apply to it.
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${join(pki, 'sa.key')}`,
      `--root-ca-file=${join(pki, 'ca.crt')}`,
      // No HTTPS endpoint of its own (health and metrics): nothing here reads it.
      '--secure-port=0',
      '--profiling=false',
      // Its start makes a ServiceAccount and a token for each of its ~40 controllers; at the
      // default 20 requests/s that alone takes seconds.
      '--kube-api-qps=200',
      '--kube-api-burst=400',
    ]);
  }

  private async startScheduler(): Promise<void> {
    await this.spawn('kube-scheduler', [
      `--kubeconfig=${join(this.dir, 'scheduler.kubeconfig')}`,
      '--leader-elect=false',
      '--secure-port=0',
      '--profiling=false',
    ]);
  }

  private async createNodes(): Promise<void> {
    const count = this.options.nodes ?? 2;
    for (let i = 0; i < count; i++) {
      const name = `kwok-node-${i}`;
      await this.request('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          // kwok manages the nodes that carry this annotation (--manage-nodes-with-annotation-selector).
          annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
          labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
        },
        status: { allocatable: NODE_CAPACITY, capacity: NODE_CAPACITY },
      });
    }
  }

  private async startKwok(): Promise<void> {
    await this.spawn('kwok', [
      `--kubeconfig=${join(this.dir, 'kwok.kubeconfig')}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      // kwok renews each node's Lease, so the node-lifecycle controller sees live nodes.
      '--node-lease-duration-seconds=40',
      `--cidr=${POD_CIDR}`,
      `--node-ip=${NODE_IP}`,
      ...KWOK_STAGES.map((file) => `--config=${file}`),
    ]);
  }

  /**
   * One API request, as the admin unless `options.token` is given. JSON in and out; throws on
   * 4xx/5xx with the API server's message unless `allowError`.
   */
  async request<T = unknown>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<KubeResponse<T>> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const response = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpsRequest(`${this.server}${path}`, {
        method,
        agent: this.agent,
        headers: {
          Authorization: `Bearer ${options.token ?? this.adminToken}`,
          Accept: 'application/json',
          ...(payload === undefined ? {} : { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
        },
        timeout: 30_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
    let parsed: unknown = response.text;
    try {
      parsed = JSON.parse(response.text);
    } catch {
      // /readyz and friends answer in plain text
    }
    if (response.status >= 400 && !options.allowError) {
      const message = (parsed as { message?: string } | undefined)?.message ?? response.text;
      throw new Error(`${method} ${path}: ${response.status} ${message}`);
    }
    return { status: response.status, body: parsed as T, text: response.text };
  }

  /** A namespace (idempotent). */
  async createNamespace(name: string): Promise<void> {
    const response = await this.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { allowError: true });
    if (response.status !== 201 && response.status !== 409) throw new Error(`creating namespace ${name}: ${response.status} ${response.text}`);
  }

  /** A ServiceAccount (idempotent; its namespace must exist). */
  async createServiceAccount(namespace: string, name: string): Promise<void> {
    const response = await this.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } }, { allowError: true });
    if (response.status !== 201 && response.status !== 409) throw new Error(`creating ServiceAccount ${namespace}/${name}: ${response.status} ${response.text}`);
  }

  /**
   * A token of the ServiceAccount, from the TokenRequest API (bound, expiring, as a projected
   * token in a pod would be): what Sluice runs with in the tests, so RBAC applies to it.
   */
  async tokenFor(namespace: string, serviceAccount: string, expirationSeconds = 3600): Promise<string> {
    const response = await this.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds },
    });
    return response.body.status.token;
  }

  /** A kubeconfig for a ServiceAccount's token (written into the cluster folder), for a process that reads one. */
  async kubeconfigFor(namespace: string, serviceAccount: string): Promise<string> {
    const token = await this.tokenFor(namespace, serviceAccount);
    const path = join(this.dir, `${namespace}-${serviceAccount}.kubeconfig`);
    await writeFile(path, kubeconfig(this.server, this.caPath, `system:serviceaccount:${namespace}:${serviceAccount}`, token, namespace), { mode: 0o600 });
    return path;
  }

  /** Runs kubectl against this cluster (as the admin, or with `token`); never throws on its exit code. */
  async kubectl(args: string[], options: { input?: string; token?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const extra = options.token ? [`--token=${options.token}`] : [];
    return this.run(this.binary('kubectl'), [`--kubeconfig=${this.kubeconfigPath}`, ...extra, ...args], options.input);
  }

  /** Runs helm against this cluster as the admin, its caches and config in the cluster folder. */
  async helm(args: string[], options: { input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.run(this.binary('helm'), [`--kubeconfig=${this.kubeconfigPath}`, ...args], options.input, {
      HELM_CACHE_HOME: join(this.dir, 'helm', 'cache'),
      HELM_CONFIG_HOME: join(this.dir, 'helm', 'config'),
      HELM_DATA_HOME: join(this.dir, 'helm', 'data'),
    });
  }

  private run(binary: string, args: string[], input?: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(binary, args, { env: { PATH: process.env.PATH, HOME: this.dir, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
  }

  /**
   * Stops the API server, stays down for `downForMs`, and starts it again on the same port,
   * certificates and etcd: the other components and every client reconnect, as after a real
   * API server restart. Resolves once /readyz answers again.
   */
  async restartApiServer(downForMs = 0): Promise<void> {
    await this.processes.get('kube-apiserver')?.stop();
    if (downForMs > 0) await sleep(downForMs);
    await this.startApiServer(Date.now() + START_TIMEOUT_MS);
  }

  /** Resident memory of each component and in all, in MB. */
  async memoryMB(): Promise<Record<Component | 'total', number>> {
    const result = { total: 0 } as Record<Component | 'total', number>;
    for (const [name, component] of this.processes) {
      const mb = Math.round(await component.rssMB());
      result[name] = mb;
      result.total += mb;
    }
    return result;
  }

  /** The pids of the running components (what stop() ends). */
  get pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.processes].map(([name, component]) => [name, component.pid]));
  }

  /** Stops every component (kwok and the controllers first, etcd last) and removes the folder when start() made it. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const stopOne = async (name: Component): Promise<void> => this.processes.get(name)?.stop();
    await Promise.all((['kwok', 'kube-scheduler', 'kube-controller-manager'] as const).map(stopOne));
    await stopOne('kube-apiserver');
    await stopOne('etcd');
    this.agent?.destroy();
    process.removeListener('exit', this.killOnExit);
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }
}
