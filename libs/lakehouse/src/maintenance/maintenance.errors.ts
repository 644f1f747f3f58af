/** A compaction whose input files another commit removed or replaced meanwhile: nothing was changed. */
export class CompactionConflictError extends Error {
  override readonly name = 'CompactionConflictError';
}
