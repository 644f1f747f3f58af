export { FaultProxy } from './fault-proxy.ts';
