// Preloaded into Portkey's gateway (node --import): its start-server listens on
// every interface and has no host option; the benchmark keeps all traffic on
// loopback, so a listen() without a host gets 127.0.0.1.
import { Server } from 'node:net';

const listen = Server.prototype.listen;
Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  if (typeof args[0] === 'object' && args[0] !== null && args[0].host === undefined) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
