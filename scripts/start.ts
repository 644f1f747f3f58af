// `npm start`: infra up, build, then every service under one supervisor until Ctrl-C.
import { type DemoFactory, startDemoFactory } from './lib/demo-factory.ts';
import { startPlatform } from './lib/platform.ts';
import { bin, busCli, infraCli, node, StepFailed, step } from './lib/proc.ts';

const keepInfra = process.argv.includes('--keep-infra');

async function main() {
  const started = Date.now();
  await step('infra up', node, [infraCli, 'up']);
  await step('bus provision (topics, streams, service credentials)', node, [busCli, 'provision']);
  await step('build', bin('turbo'), ['run', 'build', '--output-logs=errors-only']);
  console.log('\n[openfoundry] ▶ starting services');
  const platform = await startPlatform({ extraEnv: { SEED_DEMO: 'true' } });

  let stopping = false;
  let factory: DemoFactory | undefined;
  const shutdown = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n[openfoundry] ${reason}: stopping services`);
    await factory?.stop();
    await platform.stop();
    if (!keepInfra) await step('infra down', node, [infraCli, 'down']);
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  for (const unit of platform.units) {
    unit.child.once('exit', (code) => {
      if (!stopping) {
        console.error(`[openfoundry] ${unit.name} exited unexpectedly (code ${code}); stopping everything`);
        void shutdown(`${unit.name} exited`, 1);
      }
    });
  }

  try {
    factory = await startDemoFactory(platform.units);
  } catch (error) {
    console.error(`[openfoundry] the demo factory did not start: ${(error as Error).message}`);
    await shutdown('demo factory failed', 1);
    return;
  }

  console.log(`\n[openfoundry] platform ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  for (const unit of platform.units) {
    console.log(`  ${unit.name.padEnd(28)} ${unit.url}   (openapi: ${unit.url}/openapi.json)`);
  }
  console.log('  infrastructure status:       npm run infra -- status');
  console.log(
    '  demo factory:                tenant acme, 12 assets (press-0001…) over MQTT, OPC UA and HTTP push; devices: npm run openfoundry -- device list',
  );
  console.log('\nPress Ctrl-C to stop.');
}

main().catch((err: unknown) => {
  console.error(`\n[openfoundry] ${(err as Error).message}`);
  process.exit(err instanceof StepFailed ? err.exitCode : 1);
});
