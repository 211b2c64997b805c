export * from './batch-header';
export { crc32c } from './crc32c';
