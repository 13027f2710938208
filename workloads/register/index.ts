/** The register workload (read / write / cas on a few keys, checked with the `kv` model) and its clients. */
import type { ClientFactory } from '../types.js';
import { etcdRegisterClient } from './etcd-client.js';
import { redisRegisterClient } from './redis-client.js';

export {
  registerWorkload,
  resolveRegisterOptions,
  registerKeys,
  parseRegisterValue,
  RegisterOptionsError,
  REGISTER_DEFAULTS,
  VALUE_STRIDE,
  type RegisterOptions,
} from './generator.js';
export { redisRegisterClient, pickEndpoint, type RedisRegisterOptions } from './redis-client.js';
export { etcdRegisterClient, etcdNotSent, type EtcdRegisterOptions } from './etcd-client.js';

/** Default clients by backend kind, so scenarios can name a backend instead of importing a client. */
export const registerClients: Record<'redis' | 'etcd', () => ClientFactory> = {
  redis: () => redisRegisterClient(),
  etcd: () => etcdRegisterClient(),
};
