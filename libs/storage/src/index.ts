export { type AppendOptions } from './append-check';
export { type ScannedBatch } from './batch-scan';
export { DataDirLockedError, lockDataDir } from './data-dir-lock';
export { DiskFileSystem } from './disk-file-system';
export { type FileHandle, type FileSystem } from './file-system';
export { GroupCommitAppender, type GroupSink } from './group-commit-appender';
export { HandlePool } from './handle-pool';
export { type EpochEntry, LeaderEpochCache } from './leader-epoch-cache';
export { checkLogConfig, DEFAULT_LOG_CONFIG, type Durability, type LogConfig } from './log-config';
export { type LoadStats, PARTITION_CHECKPOINT } from './log-loader';
export { LogManager, type LogManagerOptions } from './log-manager';
export { segmentFileName } from './log-segment';
export { MemoryFileSystem } from './memory-file-system';
export { OffsetIndex } from './offset-index';
export {
  type AppendResult,
  type LogListener,
  type LogReadResult,
  PartitionLog,
  type PartitionLogOptions,
} from './partition-log';
export { TimeIndex } from './time-index';
