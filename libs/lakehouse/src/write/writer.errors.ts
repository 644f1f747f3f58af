/** Rows that do not fit the table: a missing required column, nulls in a required one. */
export class InvalidSourceError extends Error {
  override readonly name = 'InvalidSourceError';
}
