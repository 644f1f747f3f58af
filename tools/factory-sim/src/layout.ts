import { ASSET_ID, TENANT_ID } from '@openfoundry/bus-registry';

export const PROTOCOLS = ['mqtt', 'opcua', 'http'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export type ValueKind = 'double' | 'long' | 'boolean' | 'string';
export type Value = number | boolean | string;

export interface AttributeSpec {
  name: string;
  kind: ValueKind;
  unit?: string;
}

export interface AssetSpec {
  id: string;
  /** Position in the whole factory, which also seeds its values. */
  index: number;
  protocol: Protocol;
}

export interface FactoryLayout {
  tenant: string;
  assets: AssetSpec[];
  attributes: AttributeSpec[];
}

// The first attributes every asset has; a larger --attributes repeats them with a numeric suffix.
// The mix covers every value kind the asset stream carries from devices: analogue doubles,
// integer counters, a boolean state and a string condition.
const ATTRIBUTE_CYCLE: readonly AttributeSpec[] = [
  { name: 'temperature', kind: 'double', unit: 'Cel' },
  { name: 'cycle_count', kind: 'long' },
  { name: 'running', kind: 'boolean' },
  { name: 'condition', kind: 'string' },
  { name: 'pressure', kind: 'double', unit: 'bar' },
  { name: 'vibration', kind: 'double', unit: 'mm/s' },
  { name: 'part_count', kind: 'long' },
  { name: 'speed', kind: 'double', unit: 'rpm' },
];

export class LayoutError extends Error {
  override name = 'LayoutError';
}

export interface LayoutOptions {
  tenant: string;
  assets: number;
  attributes: number;
  /** Asset ids are `<prefix><4-digit index>`, e.g. `asset-0001`. */
  assetPrefix?: string;
  /** Assets are dealt to these protocols in turn: asset i speaks protocols[i % length]. */
  protocols: readonly Protocol[];
}

export function attributeSpecs(count: number): AttributeSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const base = ATTRIBUTE_CYCLE[i % ATTRIBUTE_CYCLE.length] as AttributeSpec;
    const round = Math.floor(i / ATTRIBUTE_CYCLE.length);
    return round === 0 ? { ...base } : { ...base, name: `${base.name}_${round + 1}` };
  });
}

export function factoryLayout(options: LayoutOptions): FactoryLayout {
  const { tenant, protocols } = options;
  const prefix = options.assetPrefix ?? 'asset-';
  if (!TENANT_ID.test(tenant)) throw new LayoutError(`tenant "${tenant}" does not match ${TENANT_ID}`);
  if (!Number.isInteger(options.assets) || options.assets < 1)
    throw new LayoutError('assets must be a positive integer');
  if (!Number.isInteger(options.attributes) || options.attributes < 1)
    throw new LayoutError('attributes must be a positive integer');
  if (protocols.length === 0) throw new LayoutError('at least one protocol is needed');
  const assets = Array.from({ length: options.assets }, (_, index) => ({
    id: `${prefix}${String(index + 1).padStart(4, '0')}`,
    index,
    protocol: protocols[index % protocols.length] as Protocol,
  }));
  for (const asset of assets) {
    if (!ASSET_ID.test(asset.id)) throw new LayoutError(`asset id "${asset.id}" does not match ${ASSET_ID}`);
  }
  return { tenant, assets, attributes: attributeSpecs(options.attributes) };
}

export function assetsOf(layout: FactoryLayout, protocol: Protocol): AssetSpec[] {
  return layout.assets.filter((a) => a.protocol === protocol);
}
