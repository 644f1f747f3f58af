export {
  loadConfig,
  type PlatformConfig,
  type PlatformEnv,
  type Ports,
  platformEnv,
  readPlatformEnv,
  repoRoot,
  statePaths,
} from './config.ts';
export { InfraError } from './errors.ts';
export { type MavenArtifact, mavenCopyDependencies, pythonVenv } from './install.ts';
export { CPU_CLASSES, type CpuClass, type ServiceManifest, serviceManifests } from './manifests.ts';
export { freePort, type RunOptions, type RunResult, run, runLoose } from './process.ts';
export { down, status, type UpResult, up } from './runner.ts';
export { NATS_AUTH_FILE } from './servers/nats.ts';
export type { Status } from './servers/server.ts';
