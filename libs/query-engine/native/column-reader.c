/*
 * Copies one column of a DuckDB data chunk straight into Arrow buffers owned by JavaScript.
 *
 * The Flight SQL edge turns DuckDB's vectors into Arrow record batches. Done value by value in
 * JavaScript, that costs several times the query itself (ADR 0011, "Where the time goes"); here
 * each column of a chunk is one call that reads DuckDB's memory in place and writes into the
 * caller's buffers, with no allocation. The JavaScript path stays as the fallback and the
 * reference the tests compare against.
 *
 * appendColumn(chunk, column, kind, width, rows, data, used, offsets, validity, result) -> bool
 *   chunk     the External holding the `duckdb_data_chunk` (DuckDBDataChunk.chunk)
 *   column    column index in the chunk
 *   kind      FIXED (copy `width` bytes per row), DECIMAL (sign-extend `width` bytes to 16),
 *             BOOL (one byte per row to one bit), STRING (duckdb_string_t to offsets + bytes)
 *   rows      rows already in the output buffers (the chunk is appended after them)
 *   data      output values (Uint8Array); `used` bytes of it are taken (STRING only)
 *   offsets   Int32Array with rows + 1 entries taken (STRING only, else null)
 *   validity  Uint8Array validity bitmap (Arrow bit order), written for the appended rows
 *   result    Float64Array(3): [bytes of data used after the call, nulls in the chunk, bytes needed]
 * Returns false when `data` is too small: result[2] holds the size it must have; nothing is written.
 *
 * readBatch(result, kinds, widths, targetBytes, headroom) -> Promise<{ rows, end, body, ... } | null>
 *   Fetches chunks of a DuckDB result and copies every column, until about `targetBytes` of Arrow
 *   data are collected or the result ends, on a libuv worker thread: the JavaScript thread meanwhile
 *   encodes and sends the previous batch. Only for results whose every column has a layout above.
 *   result    the External holding the `duckdb_result *` (DuckDBResult.result)
 *   kinds     Int32Array, the kind of each column; widths: Int32Array, its source width
 *   body      one ArrayBuffer: `headroom` free bytes (for the message header the caller writes in
 *             front), then the batch as an Arrow IPC record batch body of `bodyBytes` bytes
 *   columns   per column { nulls, validity, offsets, data }, each an [offset, length] in the body
 *             (validity empty without nulls, offsets empty unless STRING); `end` is true when the
 *             result has no more rows.
 *   Rejects with DuckDB's message when the statement fails (or is interrupted) while fetching.
 *
 * resultError(result) -> string | null
 *   The error a result stopped with. DuckDB ends a failed streaming result like a finished one
 *   (no more chunks), so a reader must ask before taking the end for the end.
 */
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The DuckDB C API functions this file calls; libduckdb.so is the one @duckdb/node-bindings loads. */
typedef void *duckdb_data_chunk;
typedef void *duckdb_vector;
extern duckdb_vector duckdb_data_chunk_get_vector(duckdb_data_chunk chunk, uint64_t column);
extern uint64_t duckdb_data_chunk_get_size(duckdb_data_chunk chunk);
extern void *duckdb_vector_get_data(duckdb_vector vector);
extern uint64_t *duckdb_vector_get_validity(duckdb_vector vector);
extern void duckdb_destroy_data_chunk(duckdb_data_chunk *chunk);

/* duckdb_result as DuckDB 1.x declares it; fetching takes it by value. */
typedef struct {
  uint64_t deprecated_column_count;
  uint64_t deprecated_row_count;
  uint64_t deprecated_rows_changed;
  void *deprecated_columns;
  char *deprecated_error_message;
  void *internal_data;
} duckdb_result;
extern duckdb_data_chunk duckdb_fetch_chunk(duckdb_result result);
extern const char *duckdb_result_error(duckdb_result *result);
extern uint64_t duckdb_column_count(duckdb_result *result);

enum { KIND_FIXED = 0, KIND_DECIMAL = 1, KIND_BOOL = 2, KIND_STRING = 3 };

/* duckdb_string_t: a length, then either the bytes inline (up to 12) or a prefix and a pointer. */
#define STRING_ENTRY_BYTES 16
#define INLINE_STRING_BYTES 12

static bool valid_at(const uint64_t *mask, uint64_t row) {
  return mask == NULL || ((mask[row >> 6] >> (row & 63)) & 1) != 0;
}

static void set_bit(uint8_t *bits, uint64_t at, bool on) {
  if (on)
    bits[at >> 3] |= (uint8_t)(1u << (at & 7));
  else
    bits[at >> 3] &= (uint8_t)~(1u << (at & 7));
}

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static bool typed_array(napi_env env, napi_value value, void **data, size_t *bytes) {
  napi_typedarray_type type;
  size_t length;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, &length, data, &buffer, &offset) != napi_ok) return false;
  size_t element = type == napi_int32_array || type == napi_uint32_array || type == napi_float32_array ? 4
                   : type == napi_float64_array || type == napi_bigint64_array || type == napi_biguint64_array ? 8
                   : type == napi_int16_array || type == napi_uint16_array ? 2
                   : 1;
  *bytes = length * element;
  return true;
}

static bool is_null(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && (type == napi_null || type == napi_undefined);
}

/* Appends `count` rows of one vector after `rows_before` rows; the output must be large enough. */
static size_t copy_vector(const uint8_t *source, const uint64_t *mask, uint64_t count, int kind, int width,
                          uint64_t rows_before, uint8_t *data, size_t used, int32_t *offsets, uint8_t *validity,
                          uint64_t *null_count) {
  uint64_t nulls = 0;
  for (uint64_t i = 0; i < count; i++) {
    bool ok = valid_at(mask, i);
    if (!ok) nulls++;
    set_bit(validity, rows_before + i, ok);
  }

  switch (kind) {
    case KIND_FIXED:
      memcpy(data + (size_t)rows_before * (size_t)width, source, (size_t)count * (size_t)width);
      break;
    case KIND_DECIMAL: {
      uint8_t *out = data + (size_t)rows_before * 16;
      for (uint64_t i = 0; i < count; i++, out += 16) {
        int64_t low;
        if (width == 16) {
          memcpy(out, source + i * 16, 16);
          continue;
        } else if (width == 8) {
          memcpy(&low, source + i * 8, 8);
        } else if (width == 4) {
          int32_t v;
          memcpy(&v, source + i * 4, 4);
          low = v;
        } else {
          int16_t v;
          memcpy(&v, source + i * 2, 2);
          low = v;
        }
        int64_t high = low < 0 ? -1 : 0;
        memcpy(out, &low, 8);
        memcpy(out + 8, &high, 8);
      }
      break;
    }
    case KIND_BOOL:
      for (uint64_t i = 0; i < count; i++) set_bit(data, rows_before + i, source[i] != 0);
      break;
    case KIND_STRING: {
      for (uint64_t i = 0; i < count; i++) {
        const uint8_t *entry = source + i * STRING_ENTRY_BYTES;
        if (valid_at(mask, i)) {
          uint32_t length = *(const uint32_t *)entry;
          const uint8_t *bytes;
          if (length <= INLINE_STRING_BYTES) {
            bytes = entry + 4;
          } else {
            memcpy(&bytes, entry + 8, sizeof bytes);
          }
          memcpy(data + used, bytes, length);
          used += length;
        }
        offsets[rows_before + i + 1] = (int32_t)used;
      }
      break;
    }
  }
  *null_count += nulls;
  return used;
}

/* The bytes a vector's rows need in the data buffer, after `used` bytes (STRING) or `rows_before` rows. */
static size_t data_needed(const uint8_t *source, const uint64_t *mask, uint64_t count, int kind, int width,
                          uint64_t rows_after, size_t used) {
  switch (kind) {
    case KIND_FIXED:
      return (size_t)rows_after * (size_t)width;
    case KIND_DECIMAL:
      return (size_t)rows_after * 16;
    case KIND_BOOL:
      return (size_t)(rows_after + 7) / 8;
    default: {
      size_t needed = used;
      for (uint64_t i = 0; i < count; i++)
        if (valid_at(mask, i)) needed += *(const uint32_t *)(source + i * STRING_ENTRY_BYTES);
      return needed;
    }
  }
}

static napi_value append_column(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 10)
    return throw_error(env, "appendColumn takes 10 arguments");

  duckdb_data_chunk chunk;
  if (napi_get_value_external(env, argv[0], &chunk) != napi_ok || chunk == NULL)
    return throw_error(env, "appendColumn: not a DuckDB data chunk");
  int64_t column, kind, width, rows_before, used_before;
  if (napi_get_value_int64(env, argv[1], &column) != napi_ok || napi_get_value_int64(env, argv[2], &kind) != napi_ok ||
      napi_get_value_int64(env, argv[3], &width) != napi_ok ||
      napi_get_value_int64(env, argv[4], &rows_before) != napi_ok ||
      napi_get_value_int64(env, argv[6], &used_before) != napi_ok)
    return throw_error(env, "appendColumn: column, kind, width, rows and used must be numbers");

  uint8_t *data;
  size_t data_bytes;
  int32_t *offsets = NULL;
  size_t offsets_bytes = 0;
  uint8_t *validity;
  size_t validity_bytes;
  double *result;
  size_t result_bytes;
  if (!typed_array(env, argv[5], (void **)&data, &data_bytes) ||
      !typed_array(env, argv[8], (void **)&validity, &validity_bytes) ||
      !typed_array(env, argv[9], (void **)&result, &result_bytes) || result_bytes < 3 * sizeof(double))
    return throw_error(env, "appendColumn: data, validity and result must be typed arrays");
  if (!is_null(env, argv[7]) && !typed_array(env, argv[7], (void **)&offsets, &offsets_bytes))
    return throw_error(env, "appendColumn: offsets must be an Int32Array or null");

  uint64_t count = duckdb_data_chunk_get_size(chunk);
  duckdb_vector vector = duckdb_data_chunk_get_vector(chunk, (uint64_t)column);
  if (vector == NULL) return throw_error(env, "appendColumn: no such column");
  const uint8_t *source = duckdb_vector_get_data(vector);
  const uint64_t *mask = duckdb_vector_get_validity(vector);
  uint64_t rows_after = (uint64_t)rows_before + count;

  if (validity_bytes < (rows_after + 7) / 8) return throw_error(env, "appendColumn: validity buffer too small");
  if (kind < KIND_FIXED || kind > KIND_STRING) return throw_error(env, "appendColumn: unknown kind");
  if (kind == KIND_STRING && (offsets == NULL || offsets_bytes < (rows_after + 1) * sizeof(int32_t)))
    return throw_error(env, "appendColumn: offsets buffer too small");
  size_t needed = data_needed(source, mask, count, (int)kind, (int)width, rows_after, (size_t)used_before);
  if (needed > INT32_MAX) return throw_error(env, "appendColumn: more than 2 GiB of text in one batch");
  result[2] = (double)needed;
  if (data_bytes < needed) {
    napi_value no;
    napi_get_boolean(env, false, &no);
    return no;
  }

  uint64_t nulls = 0;
  size_t used = copy_vector(source, mask, count, (int)kind, (int)width, (uint64_t)rows_before, data,
                            (size_t)used_before, offsets, validity, &nulls);
  result[0] = (double)used;
  result[1] = (double)nulls;
  napi_value yes;
  napi_get_boolean(env, true, &yes);
  return yes;
}


/* ---- readBatch: fetch and copy on a worker thread ---------------------------------------- */

/* The tag @duckdb/node-bindings puts on its result Externals, checked before the pointer is used. */
static const napi_type_tag RESULT_TAG = {0x08F7FE3AE12345E5ULL, 0x8733310DC29372D9ULL};

typedef struct {
  int kind;
  int width;
  uint8_t *data;
  size_t data_capacity;
  size_t used;
  int32_t *offsets;
  size_t offsets_capacity; /* entries */
  uint8_t *validity;
  size_t validity_capacity;
  uint64_t nulls;
} column_out;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref result_ref;
  duckdb_result *result;
  uint64_t columns;
  column_out *out;
  size_t target_bytes;
  size_t headroom;
  uint64_t rows;
  bool end;
  /* The batch as one Arrow IPC body (every buffer 8-byte aligned), after `headroom` free bytes. */
  uint8_t *body;
  size_t body_bytes;
  size_t (*regions)[2]; /* per column: validity, offsets, data as (offset, length) in the body */
  bool failed;
  char *error;
} batch_job;

/* Grows a buffer to at least `needed` bytes (doubling); false when memory runs out. */
static bool reserve(void **buffer, size_t *capacity, size_t needed) {
  if (*capacity >= needed) return true;
  size_t next = *capacity * 2 > needed ? *capacity * 2 : needed;
  void *grown = realloc(*buffer, next);
  if (grown == NULL) return false;
  *buffer = grown;
  *capacity = next;
  return true;
}

static void fail(batch_job *job, const char *message) {
  job->failed = true;
  job->end = true;
  if (job->error == NULL) {
    size_t length = strlen(message);
    job->error = malloc(length + 1);
    if (job->error) memcpy(job->error, message, length + 1);
  }
}

static size_t padded(size_t bytes) { return (bytes + 7) & ~(size_t)7; }

/*
 * Lays the columns out as an Arrow IPC record batch body, in the order the IPC format lists
 * buffers (per column: validity, then offsets for strings, then data; each padded to 8 bytes,
 * validity empty without nulls), after `headroom` bytes the caller fills with the message header.
 */
static void assemble_body(batch_job *job) {
  size_t total = 0;
  for (uint64_t c = 0; c < job->columns; c++) {
    column_out *col = &job->out[c];
    if (col->nulls > 0) total += padded((job->rows + 7) / 8);
    if (col->kind == KIND_STRING) total += padded((job->rows + 1) * sizeof(int32_t));
    total += padded(col->used);
  }
  job->regions = calloc(job->columns ? job->columns * 3 : 1, sizeof *job->regions);
  job->body = malloc(job->headroom + total + 1);
  if (job->regions == NULL || job->body == NULL) {
    fail(job, "out of memory while assembling a record batch");
    return;
  }
  job->body_bytes = total;
  uint8_t *body = job->body + job->headroom;
  size_t at = 0;
  for (uint64_t c = 0; c < job->columns; c++) {
    column_out *col = &job->out[c];
    size_t lengths[3] = {col->nulls > 0 ? (job->rows + 7) / 8 : 0,
                         col->kind == KIND_STRING ? (job->rows + 1) * sizeof(int32_t) : 0, col->used};
    const uint8_t *sources[3] = {col->validity, (const uint8_t *)col->offsets, col->data};
    for (int b = 0; b < 3; b++) {
      job->regions[c * 3 + b][0] = at;
      job->regions[c * 3 + b][1] = lengths[b];
      if (lengths[b] == 0) continue;
      memcpy(body + at, sources[b], lengths[b]);
      memset(body + at + lengths[b], 0, padded(lengths[b]) - lengths[b]);
      at += padded(lengths[b]);
    }
    free(col->data);
    free(col->offsets);
    free(col->validity);
    col->data = NULL;
    col->offsets = NULL;
    col->validity = NULL;
  }
}

static void fetch_batch(batch_job *job);

static void execute_batch(napi_env env, void *data) {
  (void)env;
  batch_job *job = data;
  fetch_batch(job);
  if (!job->failed && job->rows > 0) assemble_body(job);
}

static void fetch_batch(batch_job *job) {
  size_t bytes = 0;
  while (bytes < job->target_bytes) {
    duckdb_data_chunk chunk = duckdb_fetch_chunk(*job->result);
    if (chunk == NULL) {
      const char *error = duckdb_result_error(job->result);
      if (error != NULL) fail(job, error);
      job->end = true;
      return;
    }
    uint64_t count = duckdb_data_chunk_get_size(chunk);
    if (count == 0) {
      duckdb_destroy_data_chunk(&chunk);
      job->end = true;
      return;
    }
    uint64_t rows_after = job->rows + count;
    for (uint64_t c = 0; c < job->columns; c++) {
      column_out *col = &job->out[c];
      duckdb_vector vector = duckdb_data_chunk_get_vector(chunk, c);
      const uint8_t *source = duckdb_vector_get_data(vector);
      const uint64_t *mask = duckdb_vector_get_validity(vector);
      size_t needed = data_needed(source, mask, count, col->kind, col->width, rows_after, col->used);
      if (col->kind == KIND_STRING && needed > INT32_MAX) {
        duckdb_destroy_data_chunk(&chunk);
        fail(job, "more than 2 GiB of text in one record batch");
        return;
      }
      if (!reserve((void **)&col->data, &col->data_capacity, needed + 1) ||
          !reserve((void **)&col->validity, &col->validity_capacity, (rows_after + 7) / 8 + 1) ||
          (col->kind == KIND_STRING &&
           !reserve((void **)&col->offsets, &col->offsets_capacity, (rows_after + 1) * sizeof(int32_t)))) {
        duckdb_destroy_data_chunk(&chunk);
        fail(job, "out of memory while reading a record batch");
        return;
      }
      if (col->kind == KIND_STRING && job->rows == 0) col->offsets[0] = 0;
      size_t before = col->used;
      col->used = copy_vector(source, mask, count, col->kind, col->width, job->rows, col->data, col->used,
                              col->offsets, col->validity, &col->nulls);
      if (col->kind != KIND_STRING) col->used = needed;
      bytes += col->kind == KIND_STRING ? col->used - before + count * 4 : col->used - before;
    }
    job->rows = rows_after;
    duckdb_destroy_data_chunk(&chunk);
  }
}

static void free_buffer(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* Hands a malloc'd buffer to JavaScript without copying it when the runtime allows that. */
static napi_value take_buffer(napi_env env, void **buffer, size_t length) {
  napi_value result;
  void *memory = *buffer;
  if (memory != NULL && length > 0 &&
      napi_create_external_arraybuffer(env, memory, length, free_buffer, NULL, &result) == napi_ok) {
    *buffer = NULL;
    return result;
  }
  void *copy;
  if (napi_create_arraybuffer(env, length, &copy, &result) != napi_ok) return NULL;
  if (length > 0) memcpy(copy, memory, length);
  return result;
}

static void release_job(napi_env env, batch_job *job) {
  if (job->out) {
    for (uint64_t c = 0; c < job->columns; c++) {
      free(job->out[c].data);
      free(job->out[c].offsets);
      free(job->out[c].validity);
    }
    free(job->out);
  }
  free(job->body);
  free(job->regions);
  free(job->error);
  if (job->result_ref) napi_delete_reference(env, job->result_ref);
  if (job->work) napi_delete_async_work(env, job->work);
  free(job);
}

static void set_number(napi_env env, napi_value object, const char *name, double value) {
  napi_value number;
  napi_create_double(env, value, &number);
  napi_set_named_property(env, object, name, number);
}

static void complete_batch(napi_env env, napi_status status, void *data) {
  batch_job *job = data;
  napi_value outcome;
  if (status != napi_ok || job->failed) {
    napi_value message;
    napi_value error;
    const char *text = job->error ? job->error : "reading the result failed";
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
    release_job(env, job);
    return;
  }
  if (job->rows == 0) {
    napi_get_null(env, &outcome);
    napi_resolve_deferred(env, job->deferred, outcome);
    release_job(env, job);
    return;
  }
  napi_create_object(env, &outcome);
  set_number(env, outcome, "rows", (double)job->rows);
  napi_value end;
  napi_get_boolean(env, job->end, &end);
  napi_set_named_property(env, outcome, "end", end);
  napi_value columns;
  napi_create_array_with_length(env, job->columns, &columns);
  napi_value body = take_buffer(env, (void **)&job->body, job->headroom + job->body_bytes);
  bool ok = body != NULL;
  if (ok) napi_set_named_property(env, outcome, "body", body);
  set_number(env, outcome, "headroom", (double)job->headroom);
  set_number(env, outcome, "bodyBytes", (double)job->body_bytes);
  for (uint64_t c = 0; c < job->columns && ok; c++) {
    napi_value column;
    napi_create_object(env, &column);
    set_number(env, column, "nulls", (double)job->out[c].nulls);
    static const char *names[3] = {"validity", "offsets", "data"};
    for (int b = 0; b < 3; b++) {
      napi_value region;
      napi_create_array_with_length(env, 2, &region);
      napi_value offset;
      napi_value length;
      napi_create_double(env, (double)job->regions[c * 3 + b][0], &offset);
      napi_create_double(env, (double)job->regions[c * 3 + b][1], &length);
      napi_set_element(env, region, 0, offset);
      napi_set_element(env, region, 1, length);
      napi_set_named_property(env, column, names[b], region);
    }
    napi_set_element(env, columns, (uint32_t)c, column);
  }
  if (!ok) {
    napi_value message;
    napi_value error;
    napi_create_string_utf8(env, "could not hand a record batch over", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  } else {
    napi_set_named_property(env, outcome, "columns", columns);
    napi_resolve_deferred(env, job->deferred, outcome);
  }
  release_job(env, job);
}

static napi_value read_batch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5)
    return throw_error(env, "readBatch takes 5 arguments");
  bool tagged = false;
  duckdb_result *result = NULL;
  if (napi_check_object_type_tag(env, argv[0], &RESULT_TAG, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, argv[0], (void **)&result) != napi_ok || result == NULL)
    return throw_error(env, "readBatch: not a DuckDB result");
  int32_t *kinds;
  int32_t *widths;
  size_t kinds_bytes;
  size_t widths_bytes;
  if (!typed_array(env, argv[1], (void **)&kinds, &kinds_bytes) ||
      !typed_array(env, argv[2], (void **)&widths, &widths_bytes) || kinds_bytes != widths_bytes)
    return throw_error(env, "readBatch: kinds and widths must be Int32Arrays of one length");
  uint64_t columns = kinds_bytes / sizeof(int32_t);
  if (duckdb_column_count(result) != columns)
    return throw_error(env, "readBatch: the result has another number of columns");
  double target;
  if (napi_get_value_double(env, argv[3], &target) != napi_ok || !(target > 0))
    return throw_error(env, "readBatch: targetBytes must be a positive number");
  double headroom;
  if (napi_get_value_double(env, argv[4], &headroom) != napi_ok || !(headroom >= 0) || headroom > 16 * 1024 * 1024)
    return throw_error(env, "readBatch: headroom must be a number of bytes up to 16 MiB");
  for (uint64_t c = 0; c < columns; c++)
    if (kinds[c] < KIND_FIXED || kinds[c] > KIND_STRING) return throw_error(env, "readBatch: unknown kind");

  batch_job *job = calloc(1, sizeof(batch_job));
  if (job == NULL) return throw_error(env, "readBatch: out of memory");
  job->result = result;
  job->columns = columns;
  job->target_bytes = (size_t)target;
  job->headroom = ((size_t)headroom + 7) & ~(size_t)7;
  job->out = calloc(columns ? columns : 1, sizeof(column_out));
  if (job->out == NULL) {
    free(job);
    return throw_error(env, "readBatch: out of memory");
  }
  for (uint64_t c = 0; c < columns; c++) {
    job->out[c].kind = kinds[c];
    job->out[c].width = widths[c];
  }
  napi_value promise;
  napi_value name;
  if (napi_create_reference(env, argv[0], 1, &job->result_ref) != napi_ok ||
      napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "openfoundry.readBatch", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute_batch, complete_batch, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    release_job(env, job);
    return throw_error(env, "readBatch: could not start the read");
  }
  return promise;
}

/* resultError(result) -> string | null: the error a streaming result stopped with, if any. */
static napi_value result_error(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool tagged = false;
  duckdb_result *result = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_check_object_type_tag(env, argv[0], &RESULT_TAG, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, argv[0], (void **)&result) != napi_ok || result == NULL)
    return throw_error(env, "resultError: not a DuckDB result");
  const char *error = duckdb_result_error(result);
  napi_value value;
  if (error == NULL)
    napi_get_null(env, &value);
  else
    napi_create_string_utf8(env, error, NAPI_AUTO_LENGTH, &value);
  return value;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "appendColumn", NAPI_AUTO_LENGTH, append_column, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "appendColumn", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "readBatch", NAPI_AUTO_LENGTH, read_batch, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "readBatch", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "resultError", NAPI_AUTO_LENGTH, result_error, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "resultError", fn) != napi_ok) return NULL;
  return exports;
}
