export { newKeySecret } from './auth/credentials';
export { createGateway, type Gateway, type GatewayOptions } from './create-gateway';
export { type GatewayContext } from './gateway-context';
export {
  type ClusterNode,
  type ClusterOperations,
  type ClusterView,
  type ElectionResult,
  type TopicHosting,
} from './node-services';
export { type WsLimits } from './ws/ws-session';
