export { assert, AssertionError, unreachable } from './assert';
export { type Clock, ManualClock, systemClock } from './clock';
export { BrokerError, ERRORS, type ErrorCode, type ErrorSpec, isBrokerError } from './errors';
export { LIMITS } from './limits';
