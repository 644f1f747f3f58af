import { ConflictError } from '@openfoundry/service-kit';

export const ProjectionErrorCode = {
  REBUILD_IN_PROGRESS: 'REBUILD_IN_PROGRESS',
} as const;

export class RebuildInProgressError extends ConflictError {
  constructor() {
    super(ProjectionErrorCode.REBUILD_IN_PROGRESS, 'a rebuild is already in progress');
  }
}
