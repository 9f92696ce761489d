// A Kubernetes Indexed Job for a suite: a ConfigMap holding the suite file and
// a Job with one completion per shard (`--shard auto/N` reads
// JOB_COMPLETION_INDEX). The kernel cache and the results live on two
// persistent volume claims every pod mounts; the merge is run after the Job
// completes (docs/scale.md).
import { jobName, type JobPlan } from './plan.js';

export interface KubernetesOptions {
  /** Container image with the kzbench checkout at /kzbench, installed (scripts/install). */
  image: string;
  /** PersistentVolumeClaim for the kernel cache (KZBENCH_CACHE=/cache). */
  cacheClaim: string;
  /** PersistentVolumeClaim for the results (/results). */
  resultsClaim: string;
}

export const DEFAULT_KUBERNETES: KubernetesOptions = { image: 'kzbench:latest', cacheClaim: 'kzbench-cache', resultsClaim: 'kzbench-results' };

/** The ConfigMap and the Job, as objects (the caller writes them as YAML documents). */
export function kubernetesManifests(p: JobPlan, o: KubernetesOptions = DEFAULT_KUBERNETES): [Record<string, unknown>, Record<string, unknown>] {
  const name = jobName(p);
  const labels = { 'app.kubernetes.io/name': 'kzbench', 'kzbench/suite-hash': p.suiteHash.slice(0, 12) };
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-suite`, labels }, data: { 'suite.yaml': p.suiteText } };
  const memory = `${p.memPerTaskMiB}Mi`;
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      completionMode: 'Indexed',
      completions: p.shards,
      parallelism: p.shards,
      backoffLimit: p.shards,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'kzbench',
              image: o.image,
              workingDir: '/kzbench',
              command: [
                'sh',
                '-c',
                'exec node bin/kzbench.js run /suite/suite.yaml --shard auto --out "/results/$KZBENCH_RUN/shard-$((JOB_COMPLETION_INDEX + 1))"',
              ],
              env: [
                { name: 'KZBENCH_SHARD_COUNT', value: String(p.shards) },
                { name: 'KZBENCH_CACHE', value: '/cache' },
                { name: 'KZBENCH_RUN', value: name },
              ],
              resources: { requests: { cpu: String(p.cpusPerTask), memory }, limits: { memory } },
              volumeMounts: [
                { name: 'suite', mountPath: '/suite', readOnly: true },
                { name: 'cache', mountPath: '/cache' },
                { name: 'results', mountPath: '/results' },
              ],
            },
          ],
          volumes: [
            { name: 'suite', configMap: { name: `${name}-suite` } },
            { name: 'cache', persistentVolumeClaim: { claimName: o.cacheClaim } },
            { name: 'results', persistentVolumeClaim: { claimName: o.resultsClaim } },
          ],
        },
      },
    },
  };
  return [configMap, job];
}
