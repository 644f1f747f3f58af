// `npm run rebuild -w @openfoundry/streaming-service`: asks the running service to rebuild its read
// models by replay (POST /v1/admin/rebuild). The service does the work, so a rebuild never races
// the consumer that owns the tables.
const url = process.env.STREAMING_URL || 'http://127.0.0.1:4021';
const token = process.env.STREAMING_ADMIN_TOKEN;
if (!token) {
  process.stderr.write('STREAMING_ADMIN_TOKEN is required (the admin token the service runs with)\n');
  process.exit(2);
}
try {
  const response = await fetch(new URL('/v1/admin/rebuild', url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await response.text();
  if (response.status !== 202) {
    process.stderr.write(`rebuild refused: HTTP ${response.status} ${body}\n`);
    process.exit(1);
  }
  process.stdout.write(`rebuild started: ${body}\n`);
} catch (error) {
  process.stderr.write(`cannot reach ${url}: ${(error as Error).message}\n`);
  process.exit(1);
}
