export { assert, AssertionError, unreachable } from './assert';
export { type Clock, ManualClock, systemClock } from './clock';
export {
  BrokerError,
  ERRORS,
  type ErrorCode,
  type ErrorSpec,
  isBrokerError,
  isSocketFailure,
  unavailable,
} from './errors';
export { LIMITS } from './limits';
export { checkName, isValidName, nameRule } from './names';
export {
  resolveTopicConfig,
  TOPIC_CONFIG_DEFAULTS,
  TOPIC_CONFIG_NAMES,
  type TopicConfig,
  validateTopicConfigs,
} from './topic-config';
export { ConfigError, loadNodeConfig, type NodeConfig } from './config';
export { waitUntil } from './wait-until';
export { eachLimited } from './each-limited';
