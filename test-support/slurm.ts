/**
 * A one-node Slurm cluster on loopback for the batch-recipe tests (Debian's slurm-wlm and munge, installed by
 * scripts/setup). Everything it writes lives in one temp dir: its own munge key, socket, pid and log; a
 * slurm.conf with free ports; the controller's state and the node's spool. Runs as root (jobs run as the
 * submitting user). Clients (sbatch, sinfo, squeue, scancel) reach it with the returned `env` (SLURM_CONF).
 *
 * ```ts
 * const slurm = await startSlurm();
 * spawnSync('sbatch', ['--wait', '--wrap', 'hostname'], { env: { ...process.env, ...slurm.env } });
 * await slurm.stop();
 * ```
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { missing, which } from './env.js';
import { freePort, waitFor } from './net.js';

export interface SlurmCluster {
  /** SLURM_CONF for sbatch, sinfo, squeue, scancel (merge into a child's environment). */
  env: Record<string, string>;
  /** The temp dir holding slurm.conf, the state, the spool and the daemons' logs. */
  dir: string;
  /** The node's name (this machine's host name) and its partition. */
  node: string;
  partition: string;
  /** Milliseconds from the first daemon start until the node was idle. */
  startMs: number;
  /** The daemons' logs (munged, slurmctld, slurmd), for a failing test's message. */
  logs(): string;
  /** Cancels what is still queued, stops the daemons and removes the temp dir. */
  stop(): Promise<void>;
}

/** Environment for the daemons and clients: none of an enclosing job's SLURM_* variables. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('SLURM_') && !k.startsWith('SBATCH_')) env[k] = v;
  }
  return { ...env, ...extra };
}

export async function startSlurm(): Promise<SlurmCluster> {
  const why = missing('slurm');
  if (why) throw new Error(`cannot start Slurm: ${why}`);
  const dir = mkdtempSync(join(tmpdir(), 'bfio-slurm-'));
  chmodSync(dir, 0o755); // munged wants no group/other write access on its socket's directory
  const mungeDir = join(dir, 'munge');
  for (const d of [mungeDir, join(dir, 'state'), join(dir, 'spool')]) mkdirSync(d, { mode: 0o700 });
  const socket = join(mungeDir, 'munge.socket');
  const key = join(mungeDir, 'munge.key');
  const node = hostname().split('.')[0]!;
  const partition = 'debug';
  const children: ChildProcess[] = [];
  const logFiles = {
    munged: join(mungeDir, 'munged.log'),
    slurmctld: join(dir, 'slurmctld.log'),
    slurmd: join(dir, 'slurmd.log'),
  };
  const logs = () =>
    Object.entries(logFiles)
      .map(([name, file]) => {
        const text = existsSync(file) ? readFileSync(file, 'utf8') : '(no log)';
        return `--- ${name} (${file}) ---\n${text.split('\n').slice(-30).join('\n')}`;
      })
      .join('\n');
  const killAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  // A test process that exits without stop() (a crash, a failed hook) leaves no daemon and no temp dir.
  const onExit = () => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const conf = join(dir, 'slurm.conf');
  const env = { SLURM_CONF: conf };
  const daemonEnv = cleanEnv(env);
  const started = Date.now();
  const daemon = (name: string, args: string[]) => {
    const exe = which(name)!;
    const child = spawn(exe, args, { env: daemonEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (code, signal) => {
      if (code && code !== 0) writeFileSync(join(dir, `${name}.exit`), `${code} ${signal}\n${stderr}`);
    });
    children.push(child);
    return child;
  };
  const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
  const stop = async () => {
    if (children.some((c) => c.spawnfile.endsWith('slurmctld') && alive(c))) {
      spawnSync(which('scancel') ?? 'scancel', ['--quiet', `--partition=${partition}`], {
        env: daemonEnv,
        timeout: 10_000,
      });
    }
    for (const c of [...children].reverse()) {
      if (!alive(c)) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // munge: a fresh key, our own socket / pid / seed / log (the system's munged, if any, is left alone).
    const mk = spawnSync(which('mungekey')!, ['--create', `--keyfile=${key}`], { encoding: 'utf8' });
    if (mk.status !== 0) throw new Error(`mungekey failed: ${mk.stderr}`);
    daemon('munged', [
      '--foreground',
      '--force',
      `--socket=${socket}`,
      `--key-file=${key}`,
      `--log-file=${logFiles.munged}`,
      `--pid-file=${join(mungeDir, 'munged.pid')}`,
      `--seed-file=${join(mungeDir, 'munged.seed')}`,
      '--num-threads=2',
    ]);
    await waitFor('munged to listen', () => existsSync(socket), 15_000, 50);

    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    const cpus = Math.min(availableParallelism(), 2);
    const memMiB = Math.floor((totalmem() / 2 ** 20) * 0.9); // what `free -m` shows, less a margin
    writeFileSync(
      conf,
      [
        'ClusterName=bfio-test',
        `SlurmctldHost=${node}(127.0.0.1)`,
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${slurmdPort}`,
        'SlurmUser=root',
        'SlurmdUser=root',
        'AuthType=auth/munge',
        'CredType=cred/munge',
        `AuthInfo=socket=${socket}`,
        `StateSaveLocation=${join(dir, 'state')}`,
        `SlurmdSpoolDir=${join(dir, 'spool')}`,
        `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
        `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
        `SlurmctldLogFile=${logFiles.slurmctld}`,
        `SlurmdLogFile=${logFiles.slurmd}`,
        'SlurmctldDebug=info',
        'SlurmdDebug=info',
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none',
        'JobCompType=jobcomp/none',
        'MpiDefault=none',
        'SwitchType=switch/none',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core',
        'SchedulerType=sched/backfill',
        // Dependent and array jobs start within a second of what they wait for, not at the next minute.
        'SchedulerParameters=sched_interval=1,defer_batch=0',
        'SlurmdParameters=config_overrides',
        'ReturnToService=2',
        'MinJobAge=300',
        'KillWait=5',
        'InactiveLimit=0',
        `NodeName=${node} NodeAddr=127.0.0.1 NodeHostname=${node} CPUs=${cpus} RealMemory=${memMiB} State=UNKNOWN`,
        `PartitionName=${partition} Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
        '',
      ].join('\n'),
    );
    daemon('slurmctld', ['-D', '-c', '-f', conf]);
    daemon('slurmd', ['-D', '-f', conf, '-N', node]);
    const sinfo = which('sinfo')!;
    await waitFor(
      `node ${node} to be idle in sinfo`,
      () => {
        for (const c of children) {
          if (c.exitCode !== null) throw new Error(`${c.spawnfile} exited with ${c.exitCode}`);
        }
        const r = spawnSync(sinfo, ['-h', '-N', '-o', '%N %t'], { env: daemonEnv, encoding: 'utf8' });
        return r.status === 0 && r.stdout.trim() === `${node} idle`;
      },
      60_000,
      200,
    );
  } catch (e) {
    const text = logs();
    killAll();
    await stop().catch(() => {});
    throw new Error(`${(e as Error).message}\n${text}`);
  }
  return { env, dir, node, partition, startMs: Date.now() - started, logs, stop };
}
