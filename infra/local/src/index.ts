export {
  loadConfig,
  type PlatformConfig,
  type PlatformEnv,
  type Ports,
  platformEnv,
  readPlatformEnv,
  repoRoot,
} from './config.ts';
export { InfraError } from './errors.ts';
export { type ServiceManifest, serviceManifests } from './manifests.ts';
export { down, status, type UpResult, up } from './runner.ts';
export type { Status } from './servers/server.ts';
