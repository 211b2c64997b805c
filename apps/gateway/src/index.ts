export { newKeySecret } from './auth/credentials';
export { createGateway, type Gateway, type GatewayOptions } from './create-gateway';
export {
  type ClusterNode,
  type ClusterOperations,
  type ClusterView,
  type ElectionResult,
  type GatewayContext,
  type TopicHosting,
} from './gateway-context';
export { type WsLimits } from './ws/ws-session';
