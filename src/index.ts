/**
 * The library: gather facts from a node and its peer, decide, stamp. The
 * executables in bin/ are thin clients of these functions.
 */
export { CheckError, isCheckError, type ErrorCode } from './core/errors';
export { Deadline } from './core/deadline';
export {
  decide,
  afterStampFailure,
  errorDecision,
  isStale,
  type Decision,
  type Facts,
  type Heartbeat,
  type LocalFacts,
  type PeerFacts,
  type Reason,
  type Thresholds,
  type Verdict,
} from './core/decide';
export { normaliseReplicaRow, normaliseReplicaRows, isChannelRunning, type ReplicaChannel } from './core/replica-status';
export { parseTableName, DEFAULT_TABLE, type TableName } from './core/heartbeat';
export { probe, type ProbeOptions, type ProbeResult } from './probe/probe';
export { checkPool, type PoolNode, type PoolOptions, type PoolResult } from './probe/pool';
export { formatPoolText, poolJson, poolRows, formatPoolRows, type PoolRow } from './answers/pool';
export { startResident, type Resident, type ResidentOptions } from './resident/engine';
export { readOptionFiles, type OptionFileSettings, type OptionFilesResult } from './config/option-file-reader';
export { parseOptionFileText, optionValues, normaliseOptionName, type OptionEntry } from './config/option-file-parser';
export { COMMON_OPTIONS, type OptionSpec } from './config/option-specs';
export { parseArgs, type ParsedArgs } from './config/argv';
export { resolveOptions, type ResolvedOptions } from './config/option-merge';
export { checkSettings, type CheckSettings } from './config/settings';
export { snmpAnswer } from './answers/snmp';
