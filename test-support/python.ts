/**
 * Run the Python peers (tifffile, zarr, bfio 2.5, ...) from the project venv. One process per call: tests
 * batch their work into one script run per test file (never one process per image).
 */
import { spawn } from 'node:child_process';
import { VENV_PYTHON } from './env.js';

/**
 * Runs `script` with the venv Python, writes `input` as JSON on stdin, and parses the JSON the script
 * prints as its last stdout line. The script reads its input with `json.load(sys.stdin)`.
 */
export function runPythonJson<T = unknown>(
  script: string,
  input: unknown = null,
  timeoutMs = 600_000,
): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(VENV_PYTHON, ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`python timed out after ${timeoutMs} ms\n${err}`));
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`python exited ${code}:\n${err}`));
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolvePromise(JSON.parse(last) as T);
      } catch {
        reject(new Error(`python printed no JSON on its last line:\n${out}\n${err}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}
