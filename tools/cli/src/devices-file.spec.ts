import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from './args.ts';
import { parseDevicesFile, readDevicesFile } from './devices-file.ts';

const problems = (text: string) => {
  try {
    parseDevicesFile(text, 'devices.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message.split('\n');
  }
  throw new Error('expected the file to be refused');
};

describe('parseDevicesFile', () => {
  it('reads every document of the example file, with the line each starts on', () => {
    const example = fileURLToPath(new URL('../examples/devices.yaml', import.meta.url));
    const devices = readDevicesFile(example);
    expect(devices.map((d) => [d.device.id, d.device.protocol])).toEqual([
      ['press-line-mqtt', 'mqtt'],
      ['oven-opcua', 'opcua'],
      ['scales-http', 'http'],
    ]);
    expect(devices[0]?.raw).not.toHaveProperty('revision');
    // The line of its first key: comments before a document are not part of it.
    expect(devices.map((d) => d.line)).toEqual([3, 16, 36]);
  });

  it('names the line of a YAML syntax error', () => {
    const lines = problems('tenant: acme\nid: a\nprotocol: http\npoints: []\n---\ntenant: acme\nid: [\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^devices\.yaml:\d+: YAML error: /);
  });

  it('names the document, field and line of a spec error, every one at once', () => {
    const lines = problems(
      [
        'tenant: acme',
        'id: ok',
        'protocol: http',
        'points: []',
        '---',
        'tenant: Acme!',
        'id: b',
        'protocol: modbus',
        'points: []',
      ].join('\n'),
    );
    expect(lines).toEqual([
      expect.stringMatching(/^devices\.yaml:6: document 2: tenant: /),
      expect.stringMatching(/^devices\.yaml:8: document 2: protocol: /),
    ]);
  });

  it('refuses a device declared twice and a file without devices', () => {
    const twice =
      'tenant: acme\nid: a\nprotocol: http\npoints: []\n---\ntenant: acme\nid: a\nprotocol: http\npoints: []\n';
    expect(problems(twice)).toEqual([expect.stringContaining('acme/a is declared again (first at line 1)')]);
    expect(problems('# nothing here\n')).toEqual(['devices.yaml: no devices in the file']);
  });

  describe('readDevicesFile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openfoundry-cli-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('says when the file is missing', () => {
      expect(() => readDevicesFile(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: file not found/);
    });

    it('reads a file', () => {
      const file = join(dir, 'one.yaml');
      writeFileSync(file, 'tenant: acme\nid: a\nprotocol: http\npoints: []\n');
      expect(readDevicesFile(file).map((d) => d.device.id)).toEqual(['a']);
    });
  });
});
