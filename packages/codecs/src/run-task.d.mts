export interface TaskIo {
  readFd(r: { fd: number; position: number; length: number }): Uint8Array;
  readFile(f: { path: string; range?: [number, number] }, into?: Uint8Array): Uint8Array;
  writeFile(path: string, bytes: Uint8Array): void;
  fetchRange(f: {
    url: string;
    offset?: number;
    length?: number;
    headers?: Record<string, string>;
    timeoutMs?: number;
  }): Promise<Uint8Array>;
}
export function runTask(
  table: Record<string, unknown>,
  io: TaskIo,
  task: { codec: string; input: Uint8Array; params?: object; spare?: ArrayBuffer },
): Promise<Uint8Array>;
