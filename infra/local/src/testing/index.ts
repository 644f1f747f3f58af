export { startTestMosquitto, type TestMosquitto } from '../servers/mosquitto-testing.ts';
export { FaultProxy } from './fault-proxy.ts';
