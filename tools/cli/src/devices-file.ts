import { readFileSync } from 'node:fs';
import { assetId, deviceSpec, tenantId } from '@openfoundry/bus-registry';
import { LineCounter, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { UsageError } from './args.ts';

/** A device as written in a devices file: a spec with its tenant and id; the service assigns revisions. */
const fileDeviceSchema = deviceSpec.extend({
  tenant: tenantId,
  id: assetId,
  revision: z.number().int().positive().optional(),
});
export type FileDevice = z.output<typeof fileDeviceSchema>;

export interface DeviceDocument {
  /** 1-based line where the document starts. */
  line: number;
  device: FileDevice;
  /** The document as written (what is sent), without defaults filled in. */
  raw: Record<string, unknown>;
}

/**
 * Reads a multi-document YAML file of device specs. Every problem is reported at once, each with the
 * file and line, as a UsageError (the file is wrong, nothing was sent yet).
 */
export function parseDevicesFile(text: string, file: string): DeviceDocument[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter });
  const problems: string[] = [];
  const devices: DeviceDocument[] = [];
  const seen = new Map<string, number>();
  for (const [index, document] of documents.entries()) {
    const line = lineCounter.linePos(document.range[0]).line;
    for (const error of document.errors) {
      const at = error.linePos?.[0].line ?? line;
      const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      problems.push(`${file}:${at}: YAML error: ${reason}`);
    }
    if (document.errors.length > 0) continue;
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    const parsed = fileDeviceSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path.map(String);
        const node = document.getIn(path, true) as { range?: [number, number, number] } | undefined;
        const at = node?.range ? lineCounter.linePos(node.range[0]).line : line;
        problems.push(
          `${file}:${at}: document ${index + 1}: ${path.join('.') || '(document)'}: ${issue.message}`,
        );
      }
      continue;
    }
    const key = `${parsed.data.tenant}/${parsed.data.id}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(`${file}:${line}: device ${key} is declared again (first at line ${first})`);
      continue;
    }
    seen.set(key, line);
    devices.push({ line, device: parsed.data, raw: value as Record<string, unknown> });
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'), false);
  if (devices.length === 0) throw new UsageError(`${file}: no devices in the file`, false);
  return devices;
}

export function readDevicesFile(file: string): DeviceDocument[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `${file}: file not found`
        : `${file}: cannot read it (${code ?? (error as Error).message})`,
    );
  }
  return parseDevicesFile(text, file);
}
