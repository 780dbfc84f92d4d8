import type { TaskIo } from '../run-task.mjs';
export const nodeIo: TaskIo;
