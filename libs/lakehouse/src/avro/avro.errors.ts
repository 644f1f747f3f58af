/** A file that is not the Avro this library reads, or a value that does not fit its schema. */
export class AvroFormatError extends Error {
  override readonly name = 'AvroFormatError';
}
