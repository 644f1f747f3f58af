// The lineage header helpers live with the registry, shared by both buses.
export { LINEAGE_HEADER, lineageHeaderParts, parseLineage, rfc3339 } from '@openfoundry/bus-registry';
