/**
 * The long-lived child process the runner sends inputs to (over IPC): one `exercise` at a time, answered
 * with its outcome. Kept separate so a hang, heap exhaustion or native crash takes down only this process.
 */
import { exercise } from './exercise.js';

interface Job {
  id: number;
  path: string;
}

process.on('message', async (job: Job) => {
  const result = await exercise(job.path);
  process.send?.({ id: job.id, ...result });
});
// A rejection that escapes the reader's promise chain would otherwise end the process quietly.
process.on('unhandledRejection', (err) => {
  process.send?.({ id: -1, outcome: 'untyped-error', detail: `unhandled rejection: ${String(err)}` });
});
process.send?.({ id: 0, ready: true });
