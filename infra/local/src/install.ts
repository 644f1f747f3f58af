import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './config.ts';
import { InfraError } from './errors.ts';
import { run } from './process.ts';

export type Log = (message: string) => void;

export async function timed<T>(log: Log, label: string, task: () => Promise<T>): Promise<T> {
  const started = Date.now();
  log(`${label} …`);
  const result = await task();
  log(`${label} done in ${seconds(Date.now() - started)}`);
  return result;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Serialises work that must not overlap (apt takes a global lock). */
function mutex() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const next = tail.then(task, task);
    tail = next.catch(() => {});
    return next;
  };
}

const aptLock = mutex();
let aptUpdated = false;

export async function debInstalled(pkg: string): Promise<boolean> {
  try {
    // dpkg-query's own ${Status} placeholder, not a template literal.
    const format = '-f=$' + '{Status}';
    const { stdout } = await run('dpkg-query', ['-W', format, pkg]);
    return stdout.includes('install ok installed');
  } catch {
    return false;
  }
}

const POLICY_RC = '/usr/sbin/policy-rc.d';

/**
 * Installs Debian packages without letting their maintainer scripts start system services
 * (redis, mosquitto) that would take our ports: policy-rc.d answers 101 while apt runs.
 */
export function ensureDebPackages(packages: string[], log: Log): Promise<void> {
  return aptLock(async () => {
    const missing: string[] = [];
    for (const pkg of packages) if (!(await debInstalled(pkg))) missing.push(pkg);
    if (missing.length === 0) return;
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const what = `Debian apt install of ${missing.join(', ')}`;
    if (!aptUpdated) {
      await timed(log, 'apt-get update', () =>
        run('apt-get', ['update', '-q'], { env, what: 'apt-get update' }),
      );
      aptUpdated = true;
    }
    const hadPolicy = existsSync(POLICY_RC);
    if (!hadPolicy) writeFileSync(POLICY_RC, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    try {
      await timed(log, `apt-get install ${missing.join(' ')}`, () =>
        run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env, what }),
      );
    } finally {
      if (!hadPolicy) rmSync(POLICY_RC, { force: true });
    }
  });
}

export interface GoToolchain {
  go: string;
  env: NodeJS.ProcessEnv;
}

const GO_CANDIDATES = ['/usr/local/go/bin/go', '/usr/bin/go', '/usr/lib/go/bin/go'];

export function goToolchain(cacheGoDir: string, binDir: string): GoToolchain | undefined {
  const go = GO_CANDIDATES.find((path) => existsSync(path));
  if (!go) return undefined;
  return {
    go,
    env: {
      ...process.env,
      GOPATH: cacheGoDir,
      GOMODCACHE: join(cacheGoDir, 'pkg', 'mod'),
      GOCACHE: join(cacheGoDir, 'cache'),
      GOBIN: binDir,
      GOFLAGS: '-buildvcs=false',
      CGO_ENABLED: '0',
    },
  };
}

/** Builds a Go command from the Go module proxy into the cache; the binary lands in binDir. */
export async function goInstall(
  toolchain: GoToolchain,
  module: string,
  version: string,
  binDir: string,
  log: Log,
): Promise<void> {
  mkdirSync(binDir, { recursive: true });
  await timed(log, `go install ${module}@${version} (Go module proxy)`, () =>
    run(toolchain.go, ['install', `${module}@${version}`], {
      env: toolchain.env,
      what: `Go module proxy download/build of ${module}@${version}`,
      timeoutMs: 20 * 60_000,
    }),
  );
}

export interface MavenArtifact {
  groupId: string;
  artifactId: string;
  version: string;
}

export function pomFor(artifacts: MavenArtifact[]): string {
  const deps = artifacts
    .map(
      (a) =>
        `    <dependency><groupId>${a.groupId}</groupId><artifactId>${a.artifactId}</artifactId><version>${a.version}</version></dependency>`,
    )
    .join('\n');
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.openfoundry.local</groupId>
  <artifactId>runtime-closure</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`;
}

/** Resolves the jar closure of some Maven Central artifacts into `libsDir` (atomically). */
export async function mavenCopyDependencies(
  artifacts: MavenArtifact[],
  workDir: string,
  libsDir: string,
  repoDir: string,
  log: Log,
): Promise<void> {
  mkdirSync(workDir, { recursive: true });
  writeFileSync(join(workDir, 'pom.xml'), pomFor(artifacts));
  const staging = `${libsDir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  const names = artifacts.map((a) => `${a.groupId}:${a.artifactId}:${a.version}`).join(', ');
  await timed(log, `mvn dependency:copy-dependencies (Maven Central: ${names})`, () =>
    run(
      'mvn',
      [
        '-B',
        '-q',
        `-Dmaven.repo.local=${repoDir}`,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${staging}`,
      ],
      { cwd: workDir, what: `Maven Central download of ${names}`, timeoutMs: 15 * 60_000 },
    ),
  );
  rmSync(libsDir, { recursive: true, force: true });
  renameSync(staging, libsDir);
}

/** Downloads wheels from PyPI without installing them. */
export async function pipDownload(requirements: string[], destDir: string, log: Log): Promise<void> {
  mkdirSync(destDir, { recursive: true });
  const pip = existsSync('/usr/bin/pip3') ? ['/usr/bin/pip3'] : ['python3', '-m', 'pip'];
  const [cmd, ...pre] = pip as [string, ...string[]];
  await timed(log, `pip download ${requirements.join(' ')} (PyPI)`, () =>
    run(cmd, [...pre, 'download', '--no-deps', '-q', '-d', destDir, ...requirements], {
      what: `PyPI download of ${requirements.join(', ')}`,
      timeoutMs: 10 * 60_000,
    }),
  );
}

export async function extractFromZip(zipFile: string, suffix: string, destDir: string): Promise<void> {
  mkdirSync(destDir, { recursive: true });
  const script = [
    'import os, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'names = [n for n in z.namelist() if n.endswith(sys.argv[2])]',
    'assert names, "no " + sys.argv[2] + " in " + sys.argv[1]',
    'for n in names:',
    '    tmp = os.path.join(sys.argv[3], os.path.basename(n) + ".partial")',
    '    open(tmp, "wb").write(z.read(n))',
    '    os.replace(tmp, tmp[:-len(".partial")])',
  ].join('\n');
  await run('python3', ['-c', script, zipFile, suffix, destDir], { what: `unpacking ${zipFile}` });
}

export function requireTool(found: boolean, message: string): void {
  if (!found) throw new InfraError(message);
}

/**
 * A Python venv in the cache with a pinned requirements file installed from PyPI, one per content
 * of that file (`<cache>/<subdir>/python-<digest>`), built in a staging folder so an interrupted
 * install never looks complete. Returns the venv's python.
 */
export async function pythonVenv(
  requirementsFile: string,
  cacheSubdir: string,
  log: Log = () => {},
): Promise<string> {
  const root = join(loadConfig().cacheDir, cacheSubdir);
  const digest = createHash('sha256').update(readFileSync(requirementsFile)).digest('hex').slice(0, 12);
  const venv = join(root, `python-${digest}`);
  if (!existsSync(venv)) {
    const staging = `${venv}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    try {
      await timed(log, `pip install -r ${requirementsFile} (PyPI)`, async () => {
        await run('python3', ['-m', 'venv', staging], { what: 'python3 -m venv', timeoutMs: 120_000 });
        await run(
          join(staging, 'bin', 'python'),
          [
            '-m',
            'pip',
            'install',
            '-q',
            '--disable-pip-version-check',
            '--cache-dir',
            join(root, 'pip-cache'),
            '-r',
            requirementsFile,
          ],
          { what: `pip install of ${requirementsFile}`, timeoutMs: 15 * 60_000 },
        );
      });
      if (!existsSync(venv)) renameSync(staging, venv);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return join(venv, 'bin', 'python');
}
