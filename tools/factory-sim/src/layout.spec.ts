import { ASSET_ID, ATTRIBUTE } from '@openfoundry/bus-registry';
import { describe, expect, it } from 'vitest';
import { attributeSpecs, factoryLayout, LayoutError } from './layout.ts';

describe(factoryLayout.name, () => {
  it('names assets with valid ids and deals them to the protocols in turn', () => {
    const layout = factoryLayout({
      tenant: 'acme',
      assets: 5,
      attributes: 3,
      protocols: ['mqtt', 'opcua', 'http'],
    });
    expect(layout.assets.map((a) => a.id)).toEqual([
      'asset-0001',
      'asset-0002',
      'asset-0003',
      'asset-0004',
      'asset-0005',
    ]);
    expect(layout.assets.map((a) => a.protocol)).toEqual(['mqtt', 'opcua', 'http', 'mqtt', 'opcua']);
    for (const asset of layout.assets) expect(asset.id).toMatch(ASSET_ID);
  });

  it('repeats the attribute kinds with a numeric suffix past the first eight', () => {
    const attributes = attributeSpecs(20);
    expect(new Set(attributes.map((a) => a.name)).size).toBe(20);
    expect(attributes[8]?.name).toBe('temperature_2');
    expect(attributes[16]?.name).toBe('temperature_3');
    for (const a of attributes) expect(a.name).toMatch(ATTRIBUTE);
    expect(new Set(attributes.map((a) => a.kind))).toEqual(new Set(['double', 'long', 'boolean', 'string']));
  });

  it('rejects a tenant, a prefix or counts that would give invalid ids', () => {
    const ok = { tenant: 'acme', assets: 1, attributes: 1, protocols: ['mqtt'] as const };
    expect(() => factoryLayout({ ...ok, tenant: 'Acme' })).toThrow(LayoutError);
    expect(() => factoryLayout({ ...ok, tenant: 'a/b' })).toThrow(/tenant/);
    expect(() => factoryLayout({ ...ok, assetPrefix: 'bad.prefix-' })).toThrow(/asset id/);
    expect(() => factoryLayout({ ...ok, assetPrefix: 'x'.repeat(130) })).toThrow(/asset id/);
    expect(() => factoryLayout({ ...ok, assets: 0 })).toThrow(/assets/);
    expect(() => factoryLayout({ ...ok, attributes: 1.5 })).toThrow(/attributes/);
    expect(() => factoryLayout({ ...ok, protocols: [] })).toThrow(/protocol/);
  });
});
