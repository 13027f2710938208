/**
 * The harness as a library (`faultline/harness`): run a scenario from code, start backends and the fault proxy in
 * one's own tests.
 */
export { runScenario, reproduceCommand, type RunOptions, type RunOutcome, type RunStats } from './run.js';
export { Rng, randomSeed } from './seed.js';
export { createRunDir, defaultStoreRoot, latestRunDir, type RunDir } from './store.js';
export { HistoryRecorder, type FsyncPolicy, type OpRecord } from './history-recorder.js';
export { planSchedule, type NemesisSpec, type FaultSpec, type ScheduledFault } from './faults/schedule.js';
export type { BackendSpec, Cluster, NodeHandle, Provisioner, ProvisionContext } from './backends/types.js';
export { ProvisionError } from './backends/types.js';
export { getProvisioner } from './backends/provisioner.js';
export { PidRegistry, reapOrphans } from './pid-registry.js';
export { startProxyServer } from './faults/proxy-server.js';
export { ProxyApi } from './faults/proxy-api.js';
export { acquireFaultProxy } from './faults/fault-proxy.js';
