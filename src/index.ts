/**
 * The library: gather facts from a node and its peer, decide, stamp. The
 * executables in bin/ are thin clients of these functions.
 */
export { CheckError, isCheckError, type ErrorCode } from './errors';
export { Deadline } from './deadline';
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
} from './decide';
export { normaliseReplicaRow, normaliseReplicaRows, isChannelRunning, type ReplicaChannel } from './replica-status';
export { parseTableName, DEFAULT_TABLE, type TableName } from './heartbeat';
export { runCheck, type CheckOptions, type CheckResult } from './check';
export { startResident, type Resident, type ResidentOptions } from './resident';
export {
  readOptionFiles,
  parseOptionFileText,
  optionValues,
  normaliseOptionName,
  type OptionEntry,
  type OptionFileSettings,
  type OptionFilesResult,
} from './option-files';
export { COMMON_OPTIONS, parseArgs, resolveOptions, checkSettings, type CheckSettings } from './settings';
export { snmpAnswer } from './snmp';
