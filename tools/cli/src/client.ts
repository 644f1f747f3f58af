/** The service refused a request (4xx/5xx) or could not be reached: exit code 1. */
export class ServiceError extends Error {
  override name = 'ServiceError';
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: { path?: string; message?: string }[] };
}

/** One line (plus field errors) from the service's error shape. */
export function describeError(status: number, body: unknown): string {
  const error = (body as ErrorBody | undefined)?.error;
  if (!error?.message) return `HTTP ${status}`;
  const fields = Array.isArray(error.details)
    ? error.details
        .filter((d) => d && typeof d.message === 'string')
        .map((d) => `\n  ${d.path ? `${d.path}: ` : ''}${d.message}`)
        .join('')
    : '';
  return `${error.message} (HTTP ${status} ${error.code ?? ''})`.replace(' )', ')') + fields;
}

/** A small client of connector-management-service's REST API. */
export class ConnectorsClient {
  readonly url: string;
  readonly #token: string;
  constructor(url: string, token: string) {
    this.url = url;
    this.#token = token;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ServiceError(
        `cannot reach ${this.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw new ServiceError(describeError(response.status, parsed), response.status);
    return { status: response.status, body: parsed as T };
  }
}
