/** A failure the CLI reports as a one-line diagnosis instead of a stack trace. */
export class InfraError extends Error {
  override readonly name = 'InfraError';
}

export function describeError(error: unknown): string {
  if (error instanceof InfraError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
