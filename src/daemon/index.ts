export { startDaemon, type Daemon, type DaemonOptions, type StopOutcome } from './daemon.js';
export { parseListen, type ListenAddress } from './http.js';
export type { FinishedRun } from './runs.js';
export { parseSchedule, type Schedule } from './schedule.js';
