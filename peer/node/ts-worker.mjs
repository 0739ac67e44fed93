// Entry of a worker thread that runs TypeScript: a worker does not inherit the main thread's tsx hooks, so it
// registers its own before importing `workerData.entry` (a file URL of a .ts module).
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
