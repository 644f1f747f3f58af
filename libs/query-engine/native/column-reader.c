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
 */
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The DuckDB C API functions this file calls; libduckdb.so is the one @duckdb/node-bindings loads. */
typedef void *duckdb_data_chunk;
typedef void *duckdb_vector;
extern duckdb_vector duckdb_data_chunk_get_vector(duckdb_data_chunk chunk, uint64_t column);
extern uint64_t duckdb_data_chunk_get_size(duckdb_data_chunk chunk);
extern void *duckdb_vector_get_data(duckdb_vector vector);
extern uint64_t *duckdb_vector_get_validity(duckdb_vector vector);

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
  size_t needed;
  switch (kind) {
    case KIND_FIXED:
      needed = (size_t)rows_after * (size_t)width;
      break;
    case KIND_DECIMAL:
      needed = (size_t)rows_after * 16;
      break;
    case KIND_BOOL:
      needed = (size_t)(rows_after + 7) / 8;
      break;
    case KIND_STRING: {
      if (offsets == NULL || offsets_bytes < (rows_after + 1) * sizeof(int32_t))
        return throw_error(env, "appendColumn: offsets buffer too small");
      needed = (size_t)used_before;
      for (uint64_t i = 0; i < count; i++)
        if (valid_at(mask, i)) needed += *(const uint32_t *)(source + i * STRING_ENTRY_BYTES);
      if (needed > INT32_MAX) return throw_error(env, "appendColumn: more than 2 GiB of text in one batch");
      break;
    }
    default:
      return throw_error(env, "appendColumn: unknown kind");
  }
  result[2] = (double)needed;
  if (data_bytes < needed) {
    napi_value no;
    napi_get_boolean(env, false, &no);
    return no;
  }

  uint64_t nulls = 0;
  for (uint64_t i = 0; i < count; i++) {
    bool ok = valid_at(mask, i);
    if (!ok) nulls++;
    set_bit(validity, rows_before + i, ok);
  }

  size_t used = (size_t)used_before;
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
  result[0] = (double)used;
  result[1] = (double)nulls;
  napi_value yes;
  napi_get_boolean(env, true, &yes);
  return yes;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "appendColumn", NAPI_AUTO_LENGTH, append_column, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "appendColumn", fn) != napi_ok) return NULL;
  return exports;
}
