/**
 * The batch recipes in examples/: Kubernetes manifests validated against the API schema (kubernetes-models),
 * the Snakefile linted, dry-run and run, the Slurm scripts parsed and run on a one-node cluster
 * (test-support/slurm.ts). The recipes call `bfio`; here a stand-in script takes its place and records every
 * call (arguments, start and end), so the tests check which parts ran, with what, and that finalize came last.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Secret } from 'kubernetes-models/v1/Secret';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath, REPO_ROOT } from '../../../test-support/env.js';
import { awsSdkS3, type Minio, startMinio } from '../../../test-support/minio.js';
import { runPythonJson } from '../../../test-support/python.js';
import { type SlurmCluster, startSlurm } from '../../../test-support/slurm.js';

const EXAMPLES = join(REPO_ROOT, 'examples');
const dir = mkdtempSync(join(tmpdir(), 'bfio-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs a command without blocking the event loop (so vitest's timeouts still work); kills it after `ms`. */
function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; ms?: number } = {}) {
  return new Promise<Run>((resolveRun, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.ms ?? 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, out, err });
    });
  });
}

/**
 * A stand-in for `bfio` that records each call in `rec`: `convert.<i>.args` (one argument a line) and
 * `convert.<i>.time` (start and end, ns) for part i; `finalize.args`, `finalize.time` and `finalize.saw` (how
 * many parts had finished when finalize started). FAKE_BFIO_FAIL_PART=i makes part i fail.
 */
function standIn(name: string): { bin: string; rec: string } {
  const rec = join(dir, `${name}-rec`);
  mkdirSync(rec);
  const bin = join(dir, `${name}-bfio`);
  writeFileSync(
    bin,
    `#!/usr/bin/env bash
set -euo pipefail
rec='${rec}'
started=$(date +%s%N)
case "$1" in
  convert)
    part="" prev=""
    for a in "$@"; do
      [[ "$prev" == --part ]] && part="$a"
      prev="$a"
    done
    i="\${part%/*}"
    if [[ "\${FAKE_BFIO_FAIL_PART:-}" == "$i" ]]; then echo "stand-in: part $i fails" >&2; exit 3; fi
    sleep 0.2
    printf '%s\\n' "$@" > "$rec/convert.$i.args"
    echo "$started $(date +%s%N)" > "$rec/convert.$i.time"
    ;;
  finalize)
    printf '%s\\n' "$@" > "$rec/finalize.args"
    (ls "$rec" | grep -c '^convert\\..*\\.args$' || true) > "$rec/finalize.saw"
    echo "$started" > "$rec/finalize.time"
    ;;
  *) echo "stand-in: unexpected command $1" >&2; exit 2 ;;
esac
`,
  );
  chmodSync(bin, 0o755);
  return { bin, rec };
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').trimEnd().split('\n');
}

/** Asserts what a stand-in recorded: parts 0..n-1 with `convertArgs(i)`, then finalize after all of them. */
function expectPartsThenFinalize(
  rec: string,
  n: number,
  convertArgs: (i: number) => string[],
  finalizeArgs: string[],
) {
  const recorded = readdirSync(rec).filter((f) => f.endsWith('.args'));
  expect(recorded.sort()).toEqual(
    [...Array.from({ length: n }, (_, i) => `convert.${i}.args`), 'finalize.args'].sort(),
  );
  let lastPartEnd = 0n;
  for (let i = 0; i < n; i++) {
    expect(lines(join(rec, `convert.${i}.args`))).toEqual(convertArgs(i));
    const [, end] = readFileSync(join(rec, `convert.${i}.time`), 'utf8')
      .trim()
      .split(' ');
    if (BigInt(end!) > lastPartEnd) lastPartEnd = BigInt(end!);
  }
  expect(lines(join(rec, 'finalize.args'))).toEqual(finalizeArgs);
  expect(Number(readFileSync(join(rec, 'finalize.saw'), 'utf8'))).toBe(n);
  expect(BigInt(readFileSync(join(rec, 'finalize.time'), 'utf8').trim())).toBeGreaterThan(lastPartEnd);
}

// ------------------------------------------------------------------------------------------------ Kubernetes

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'batch/v1 Job': Job,
  'v1 Secret': Secret,
};

function validate(doc: any): void {
  const Model = MODELS[`${doc?.apiVersion} ${doc?.kind}`];
  if (!Model) throw new Error(`no model for ${doc?.apiVersion} ${doc?.kind}`);
  new Model(doc).validate();
}

/** `$(NAME)` references of a container's command and args (Kubernetes expands them from its env). */
function references(container: any): string[] {
  const text = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
  return [...text.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]!);
}

const okK8s = available('python');

describe.skipIf(!okK8s)('examples/kubernetes: manifests checked against the Kubernetes API schema', () => {
  const K8S = join(EXAMPLES, 'kubernetes');
  let docs: Record<string, any[]>;
  const byName = (kind: string, name: string) =>
    Object.values(docs)
      .flat()
      .find((d) => d.kind === kind && d.metadata?.name === name);

  beforeAll(async () => {
    const files = readdirSync(K8S)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    // PyYAML (in the project venv) parses them: no YAML parser is a dependency of the workspace.
    docs = await runPythonJson(
      'import json, sys, yaml\n' +
        'files = json.load(sys.stdin)\n' +
        'print(json.dumps({f: [d for d in yaml.safe_load_all(open(p)) if d is not None] for f, p in files}))',
      files.map((f) => [f, join(K8S, f)]),
    );
  });

  it('has the three manifests, each a valid Job or Secret', () => {
    expect(Object.keys(docs).sort()).toEqual(['convert-job.yaml', 'finalize-job.yaml', 's3-secret.yaml']);
    for (const [file, list] of Object.entries(docs)) {
      expect(list.length, file).toBe(1);
      for (const doc of list) expect(() => validate(doc), file).not.toThrow();
    }
  });

  it('convert-job is an Indexed Job whose pods run part $(JOB_COMPLETION_INDEX)/N of the same N', () => {
    const job = docs['convert-job.yaml']![0];
    const spec = job.spec;
    expect(spec.completionMode).toBe('Indexed');
    expect(spec.completions).toBeGreaterThan(1);
    expect(spec.parallelism).toBeGreaterThanOrEqual(1);
    expect(spec.parallelism).toBeLessThanOrEqual(spec.completions);
    expect(spec.backoffLimitPerIndex).toBeGreaterThanOrEqual(1);
    expect(spec.template.spec.restartPolicy).toBe('Never'); // backoffLimitPerIndex requires it
    const [c] = spec.template.spec.containers;
    expect(c.image).toBeTruthy();
    const argv = [...c.command, ...c.args];
    expect(argv.slice(0, 2)).toEqual(['bfio', 'convert']);
    expect(argv[argv.indexOf('--part') + 1]).toBe('$(JOB_COMPLETION_INDEX)/$(PARTS)');
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
    expect(Number(env.PARTS.value)).toBe(spec.completions);
    expect(env.OUT.value).toMatch(/^s3:\/\/[^/]+\/.+\.ome\.zarr$/);
    expect(c.resources.limits.memory).toBe('768Mi');
    expect(c.resources.requests.memory).toBe('512Mi');
  });

  it('both Jobs take every AWS setting from the Secret, agree on OUT and image, and define what they expand', () => {
    const secret = byName('Secret', 'bfio-s3');
    expect(secret).toBeDefined();
    const convert = docs['convert-job.yaml']![0].spec.template.spec.containers[0];
    const finalize = docs['finalize-job.yaml']![0].spec.template.spec.containers[0];
    for (const c of [convert, finalize]) {
      const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_ENDPOINT_URL']) {
        const ref = env[name]?.valueFrom?.secretKeyRef;
        expect(ref?.name, `${c.name}: ${name}`).toBe(secret.metadata.name);
        expect(Object.keys(secret.stringData), `${c.name}: ${name}`).toContain(ref.key);
      }
      const defined = new Set([...c.env.map((e: any) => e.name), 'JOB_COMPLETION_INDEX']);
      for (const r of references(c)) expect(defined.has(r), `${c.name} expands $(${r})`).toBe(true);
    }
    const outOf = (c: any) => c.env.find((e: any) => e.name === 'OUT').value;
    expect(outOf(finalize)).toBe(outOf(convert));
    expect(finalize.image).toBe(convert.image);
    expect([...finalize.command, ...finalize.args].slice(0, 3)).toEqual(['bfio', 'finalize', '$(OUT)']);
    expect(docs['finalize-job.yaml']![0].spec.completionMode ?? 'NonIndexed').toBe('NonIndexed');
  });

  it('the schema check fails on broken copies', () => {
    const job = docs['convert-job.yaml']![0];
    const broken: Array<[string, (j: any) => void, RegExp]> = [
      ['completionMode Bogus', (j) => (j.spec.completionMode = 'Bogus'), /completionMode/],
      ['completions as a string', (j) => (j.spec.completions = '16'), /completions/],
      ['a container without a name', (j) => delete j.spec.template.spec.containers[0].name, /name/],
      ['no pod template', (j) => delete j.spec.template, /template/],
      ['an env var without a name', (j) => delete j.spec.template.spec.containers[0].env[0].name, /name/],
    ];
    expect(() => validate(structuredClone(job))).not.toThrow();
    for (const [what, mutate, message] of broken) {
      const copy = structuredClone(job);
      mutate(copy);
      expect(() => validate(copy), what).toThrow(message);
    }
    const secret = structuredClone(docs['s3-secret.yaml']![0]);
    secret.stringData = ['not', 'a', 'map'];
    expect(() => validate(secret)).toThrow(/stringData/);
  });
});

// ------------------------------------------------------------------------------------------------- Snakemake

const okSnakemake = available('snakemake');

describe.skipIf(!okSnakemake)('examples/snakemake: the Snakefile', () => {
  const snakemake = join(REPO_ROOT, '.venv', 'bin', 'snakemake');
  const snakefile = join(EXAMPLES, 'snakemake', 'Snakefile');
  const IN = '/data/in put.ome.tif';
  const OUT = 's3://lab/out put.ome.zarr';
  const config = (bfio: string, n: number) => [
    '--config',
    `bfio=${bfio}`,
    `input=${IN}`,
    `output=${OUT}`,
    `parts=${n}`,
    'flags=--pyramid 2',
  ];

  it('passes snakemake --lint', async () => {
    const work = mkdtempSync(join(dir, 'smk-lint-'));
    const r = await run(snakemake, ['-s', snakefile, '--lint', '--directory', work, ...config('bfio', 3)]);
    expect(r.code, r.out + r.err).toBe(0);
  });

  it('plans N parts, one finalize (dry run)', async () => {
    const work = mkdtempSync(join(dir, 'smk-dry-'));
    const r = await run(snakemake, ['-s', snakefile, '-n', '--directory', work, ...config('bfio', 5)]);
    expect(r.code, r.err).toBe(0);
    const stats = Object.fromEntries(
      [...(r.out + r.err).matchAll(/^(part|finalize|all|total)\s+(\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
    );
    expect(stats).toEqual({ part: 5, finalize: 1, all: 1, total: 7 });
  });

  it('runs every part, then finalize; a failed part stops finalize', async () => {
    const ok = standIn('smk-ok');
    const work = mkdtempSync(join(dir, 'smk-run-'));
    const r = await run(snakemake, [
      '-s',
      snakefile,
      '--cores',
      '2',
      '--directory',
      work,
      ...config(ok.bin, 3),
    ]);
    expect(r.code, r.err).toBe(0);
    expectPartsThenFinalize(
      ok.rec,
      3,
      (i) => ['convert', IN, OUT, '--part', `${i}/3`, '--max-workers', '2', '--pyramid', '2'],
      ['finalize', OUT, '--max-workers', '2'],
    );
    expect(existsSync(join(work, '.bfio-parts', 'out put.ome.zarr', 'finalized'))).toBe(true);

    const bad = standIn('smk-bad');
    const work2 = mkdtempSync(join(dir, 'smk-fail-'));
    const r2 = await run(
      snakemake,
      ['-s', snakefile, '--cores', '1', '--directory', work2, ...config(bad.bin, 3)],
      { env: { ...process.env, FAKE_BFIO_FAIL_PART: '1' } },
    );
    expect(r2.code).not.toBe(0);
    expect(existsSync(join(bad.rec, 'finalize.args'))).toBe(false);
    expect(existsSync(join(work2, '.bfio-parts', 'out put.ome.zarr', 'part-1-of-3.done'))).toBe(false);
  });
});

// ----------------------------------------------------------------------------------------------------- Slurm

const SLURM = join(EXAMPLES, 'slurm');
const SCRIPTS = ['submit.sh', 'convert.sbatch', 'finalize.sbatch'];

describe('examples/slurm: the scripts', () => {
  it('parse (bash -n), and a broken copy does not', () => {
    for (const s of SCRIPTS) {
      const r = spawnSync('bash', ['-n', join(SLURM, s)], { encoding: 'utf8' });
      expect(r.status, `${s}: ${r.stderr}`).toBe(0);
    }
    const broken = join(dir, 'broken.sh');
    writeFileSync(broken, readFileSync(join(SLURM, 'submit.sh'), 'utf8').replace(/\nfi\n/, '\n'));
    expect(spawnSync('bash', ['-n', broken]).status).not.toBe(0);
  });

  it('are executable and say how to use them when called wrongly', () => {
    for (const s of SCRIPTS)
      expect(readFileSync(join(SLURM, s), 'utf8').startsWith('#!/usr/bin/env bash\n')).toBe(true);
    const env = { ...process.env, PATH: `${dir}/no-slurm:/usr/bin:/bin` };
    for (const args of [
      ['in.tif', 'out.ome.zarr'],
      ['in.tif', 'out.ome.zarr', '0'],
      ['a', 'b', 'x'],
    ]) {
      const r = spawnSync(join(SLURM, 'submit.sh'), args, { encoding: 'utf8', env });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage: submit\.sh IN OUT N/);
    }
    const notArray = spawnSync(join(SLURM, 'convert.sbatch'), ['in.tif', 'out.ome.zarr'], {
      encoding: 'utf8',
      env: { ...env, SLURM_ARRAY_TASK_ID: '' },
    });
    expect(notArray.status).toBe(2);
    expect(notArray.stderr).toMatch(/not a job-array task/);
  });
});

const okSlurm = available('slurm');
const okSlurmMinio = okSlurm && available('minio', 'data');

/** Every object under s3://bucket/prefix/: relative key → bytes. */
async function storeObjects(minio: Minio, bucket: string, prefix: string): Promise<Map<string, Buffer>> {
  const { ListObjectsV2Command, GetObjectCommand } = awsSdkS3();
  const s3 = minio.client();
  const out = new Map<string, Buffer>();
  try {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }));
    expect(page.IsTruncated).toBeFalsy();
    for (const o of page.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
      out.set(o.Key.slice(prefix.length + 1), Buffer.from(await got.Body.transformToByteArray()));
    }
  } finally {
    s3.destroy();
  }
  return out;
}

describe.skipIf(!okSlurmMinio)('examples/slurm/submit.sh converting for real, into MinIO', () => {
  let slurm: SlurmCluster;
  let minio: Minio;
  beforeAll(async () => {
    [slurm, minio] = await Promise.all([startSlurm(), startMinio()]);
    await minio.makeBucket('slurm-out');
  });
  afterAll(async () => {
    await Promise.all([slurm?.stop(), minio?.stop()]);
  });

  it('a 4-task job array and its finalize job write the store a one-process conversion writes', async () => {
    const cwd = mkdtempSync(join(dir, 'slurm-real-'));
    const IN = dataPath('aicsimageio/s_1_t_1_c_1_z_1.ome.tiff');
    const bfio = `${join(REPO_ROOT, 'node_modules', '.bin', 'tsx')} ${join(REPO_ROOT, 'apps', 'cli', 'src', 'bin.ts')}`;
    const flags = ['--tile-size', '64', '--pyramid', '3'];
    const env = { ...process.env, ...slurm.env, ...minio.env };
    const one = await run(
      bfio.split(' ')[0] as string,
      [bfio.split(' ')[1] as string, 'convert', IN, 's3://slurm-out/one.ome.zarr', ...flags],
      { cwd, env, ms: 120_000 },
    );
    expect(one.code, one.err).toBe(0);
    const r = await run(join(SLURM, 'submit.sh'), [IN, 's3://slurm-out/array.ome.zarr', '4', ...flags], {
      cwd,
      env: { ...env, BFIO: bfio, BFIO_SLURM_WAIT: '1', BFIO_SBATCH_ARGS: '--cpus-per-task=1 --mem=512M' },
      ms: 300_000,
    });
    const logs = readdirSync(cwd)
      .filter((f) => f.endsWith('.out'))
      .map((f) => `${f}:\n${readFileSync(join(cwd, f), 'utf8')}`)
      .join('\n');
    expect(r.code, `${r.out}\n${r.err}\n${logs}`).toBe(0);
    // Four array tasks ran a part each, then finalize completed the store.
    expect(logs.match(/bfio-convert: part \d\/4/g)?.sort()).toEqual(
      [0, 1, 2, 3].map((i) => `bfio-convert: part ${i}/4`),
    );
    expect(logs).toMatch(/finalized s3:\/\/slurm-out\/array\.ome\.zarr: 3 level/);
    const a = await storeObjects(minio, 'slurm-out', 'one.ome.zarr');
    const b = await storeObjects(minio, 'slurm-out', 'array.ome.zarr');
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    expect([...a].filter(([k, v]) => Buffer.compare(v, b.get(k) as Buffer) !== 0).map(([k]) => k)).toEqual(
      [],
    );
    expect(a.has('zarr.json')).toBe(true);
  });
});

describe.skipIf(!okSlurm)('examples/slurm/submit.sh on a one-node Slurm cluster', () => {
  let slurm: SlurmCluster;
  beforeAll(async () => {
    slurm = await startSlurm();
    console.log(`slurm: node ${slurm.node} idle ${slurm.startMs} ms after start`);
  });
  afterAll(async () => {
    await slurm?.stop();
  });

  const submit = (bfio: string, n: number, extraEnv: Record<string, string> = {}) => {
    const cwd = mkdtempSync(join(dir, 'slurm-run-'));
    const IN = join(cwd, 'in put.ome.tif');
    const OUT = 's3://lab/out put.ome.zarr';
    const env = {
      ...process.env,
      ...slurm.env,
      BFIO: bfio,
      BFIO_SLURM_WAIT: '1',
      BFIO_SBATCH_ARGS: '--cpus-per-task=1 --mem=64M',
      ...extraEnv,
    };
    const result = run(join(SLURM, 'submit.sh'), [IN, OUT, String(n), '--pyramid', '2'], {
      cwd,
      env,
      ms: 100_000,
    });
    return { cwd, IN, OUT, result };
  };

  it('runs array tasks 0..N-1 with --part i/N, then finalize after all of them', async () => {
    const { bin, rec } = standIn('slurm-ok');
    const { cwd, IN, OUT, result } = submit(bin, 4);
    const r = await result;
    expect(r.code, `${r.out}\n${r.err}\n${slurm.logs()}`).toBe(0);
    const arrayId = /convert: job array (\d+)/.exec(r.out)?.[1];
    const finalizeId = /finalize: job (\d+) \(after (\d+)\)/.exec(r.out);
    expect(arrayId).toBeDefined();
    expect(finalizeId?.[2]).toBe(arrayId);
    expectPartsThenFinalize(
      rec,
      4,
      (i) => ['convert', IN, OUT, '--part', `${i}/4`, '--max-workers', '1', '--pyramid', '2'],
      ['finalize', OUT, '--max-workers', '1'],
    );
    // Every part was a task of the one array (its log file names array and index).
    for (let i = 0; i < 4; i++) {
      expect(readFileSync(join(cwd, `bfio-convert-${arrayId}_${i}.out`), 'utf8')).toContain(
        `part ${i}/4 of ${OUT}`,
      );
    }
    expect(readFileSync(join(cwd, `bfio-finalize-${finalizeId?.[1]}.out`), 'utf8')).toContain(
      `bfio-finalize: ${OUT}`,
    );
  });

  it('does not run finalize when a part fails, and exits non-zero', async () => {
    const { bin, rec } = standIn('slurm-fail');
    const { result } = submit(bin, 3, { FAKE_BFIO_FAIL_PART: '1' });
    const r = await result;
    expect(r.code, r.out).not.toBe(0);
    expect(r.err).toMatch(/finalize did not succeed/);
    expect(
      readdirSync(rec)
        .filter((f) => f.endsWith('.args'))
        .sort(),
    ).toEqual(['convert.0.args', 'convert.2.args']);
    const queue = spawnSync('squeue', ['-h'], { env: { ...process.env, ...slurm.env }, encoding: 'utf8' });
    expect(queue.stdout.trim()).toBe(''); // the finalize job was cancelled, not left pending
  });
});
