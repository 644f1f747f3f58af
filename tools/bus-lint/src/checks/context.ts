import type ts from 'typescript';
import type { Finding } from '../finding.ts';
import type { Service } from '../manifests.ts';
import type { SourceFile, Unit } from '../workspace.ts';

/** What every source check sees of one file and of the repository around it. */
export interface FileContext {
  readonly root: string;
  readonly file: SourceFile;
  /** Relative to the root, for findings. */
  readonly relPath: string;
  readonly source: ts.SourceFile;
  /** The service the file belongs to; undefined for an app without a service.json. */
  readonly service: Service | undefined;
  readonly services: readonly Service[];
  readonly units: readonly Unit[];
  report(finding: Finding): void;
}

/** A file that is part of the type-checked program: only those can hold bus calls worth resolving. */
export interface TypedFileContext extends FileContext {
  readonly checker: ts.TypeChecker;
}

/** How a finding names the code's owner: the service, or the folder when it has no manifest. */
export function ownerName(ctx: FileContext): string {
  return ctx.service?.name ?? `${ctx.file.unit.dir} (no service.json)`;
}
