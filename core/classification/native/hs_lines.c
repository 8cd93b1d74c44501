/*
 * hs_lines: Hyperscan over a newline-joined batch of values, matches collected in C.
 *
 * The `hyperscan` wheel calls a Python function for every match; with ~1.3 matches per value that
 * call costs more than the scan itself. This helper runs hs_scan with a C match handler that
 * appends (pattern id, end offset) to a growing array, maps each end offset to its line (the
 * value's index: values hold no newline), and writes the line indexes grouped by pattern id, each
 * group ascending, into a caller-provided int32 array. Loaded with ctypes by
 * core/classification/native/__init__.py; built by scripts/bootstrap.sh:
 *
 *   gcc -O2 -shared -fPIC -o core/classification/native/_hs_lines.so \
 *       core/classification/native/hs_lines.c -lhs
 *
 * Every entry point returns an hs_error_t (0 = HS_SUCCESS) or, for dw_scan_lines, the match count.
 */
#include <hs/hs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DW_ERR_NOMEM (-100)
#define DW_ERR_BAD_ID (-101)

const char *dw_version(void) { return hs_version(); }

int dw_compile(const char *const *expressions, const unsigned int *flags, const unsigned int *ids,
               unsigned int count, hs_database_t **db, char *error, size_t error_len,
               int *error_expression) {
    hs_compile_error_t *compile_error = NULL;
    hs_error_t rc = hs_compile_multi(expressions, flags, ids, count, HS_MODE_BLOCK, NULL, db,
                                     &compile_error);
    if (rc != HS_SUCCESS && compile_error != NULL) {
        if (error != NULL && error_len > 0) {
            strncpy(error, compile_error->message ? compile_error->message : "", error_len - 1);
            error[error_len - 1] = '\0';
        }
        if (error_expression != NULL) *error_expression = compile_error->expression;
        hs_free_compile_error(compile_error);
    }
    return rc;
}

int dw_serialize(const hs_database_t *db, char **bytes, size_t *length) {
    return hs_serialize_database(db, bytes, length);
}

int dw_deserialize(const char *bytes, size_t length, hs_database_t **db) {
    return hs_deserialize_database(bytes, length, db);
}

int dw_alloc_scratch(const hs_database_t *db, hs_scratch_t **scratch) {
    return hs_alloc_scratch(db, scratch);
}

int dw_free_scratch(hs_scratch_t *scratch) { return hs_free_scratch(scratch); }

int dw_free_database(hs_database_t *db) { return hs_free_database(db); }

void dw_free(void *pointer) { free(pointer); }

typedef struct {
    uint32_t *ids;
    uint32_t *ends;
    size_t count;
    size_t capacity;
    int out_of_memory;
} dw_matches;

static int dw_on_match(unsigned int id, unsigned long long from, unsigned long long to,
                       unsigned int flags, void *context) {
    (void)from;
    (void)flags;
    dw_matches *matches = context;
    if (matches->count == matches->capacity) {
        size_t capacity = matches->capacity ? matches->capacity * 2 : 4096;
        uint32_t *ids = realloc(matches->ids, capacity * sizeof *ids);
        if (ids == NULL) {
            matches->out_of_memory = 1;
            return 1; /* stop the scan */
        }
        matches->ids = ids;
        uint32_t *ends = realloc(matches->ends, capacity * sizeof *ends);
        if (ends == NULL) {
            matches->out_of_memory = 1;
            return 1;
        }
        matches->ends = ends;
        matches->capacity = capacity;
    }
    matches->ids[matches->count] = id;
    matches->ends[matches->count] = (uint32_t)to; /* block scans are limited to 4 GiB */
    matches->count++;
    return 0;
}

static int dw_compare_int32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Number of newlines in buffer[0:end] = the line a match ending at `end` belongs to. */
static uint32_t dw_line_of(const uint32_t *newlines, uint32_t newline_count, uint32_t end,
                           uint32_t *hint) {
    uint32_t line = *hint;
    /* Matches mostly arrive by ascending end offset: try the previous answer and the next one. */
    if ((line == 0 || newlines[line - 1] < end) && (line == newline_count || end <= newlines[line]))
        return line;
    line++;
    if (line <= newline_count && newlines[line - 1] < end &&
        (line == newline_count || end <= newlines[line])) {
        *hint = line;
        return line;
    }
    uint32_t low = 0, high = newline_count; /* first index whose newline offset >= end */
    while (low < high) {
        uint32_t middle = low + (high - low) / 2;
        if (newlines[middle] < end)
            low = middle + 1;
        else
            high = middle;
    }
    *hint = low;
    return low;
}

/*
 * Scan `buffer` (values joined by '\n'); for each pattern id in [0, id_count), write the indexes of
 * the lines it matched, ascending, into `lines`, grouped by id, and the group sizes into `counts`.
 * Returns the number of matches; when that exceeds `lines_capacity` nothing is written to `lines`
 * (call again with a larger array). Returns a negative hs_error_t or DW_ERR_* on failure.
 */
long long dw_scan_lines(const hs_database_t *db, hs_scratch_t *scratch, const char *buffer,
                        unsigned int length, unsigned int id_count, int32_t *lines,
                        long long lines_capacity, int64_t *counts) {
    dw_matches matches = {0};
    hs_error_t rc = hs_scan(db, buffer, length, 0, scratch, dw_on_match, &matches);
    long long result;
    uint32_t *newlines = NULL;
    int64_t *starts = NULL;
    if (matches.out_of_memory) {
        result = DW_ERR_NOMEM;
        goto done;
    }
    if (rc != HS_SUCCESS) {
        result = rc;
        goto done;
    }
    result = (long long)matches.count;
    memset(counts, 0, id_count * sizeof *counts);
    for (size_t i = 0; i < matches.count; i++) {
        if (matches.ids[i] >= id_count) {
            result = DW_ERR_BAD_ID;
            goto done;
        }
        counts[matches.ids[i]]++;
    }
    if (matches.count == 0 || (long long)matches.count > lines_capacity) goto done;

    uint32_t newline_count = 0;
    for (const char *p = buffer, *end = buffer + length;
         (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        newline_count++;
    newlines = malloc(((size_t)newline_count + 1) * sizeof *newlines);
    starts = malloc(((size_t)id_count + 1) * sizeof *starts);
    if (newlines == NULL || starts == NULL) {
        result = DW_ERR_NOMEM;
        goto done;
    }
    uint32_t k = 0;
    for (const char *p = buffer, *end = buffer + length;
         (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        newlines[k++] = (uint32_t)(p - buffer);

    starts[0] = 0;
    for (unsigned int id = 0; id < id_count; id++) starts[id + 1] = starts[id] + counts[id];
    uint32_t hint = 0;
    for (size_t i = 0; i < matches.count; i++) {
        uint32_t line = dw_line_of(newlines, newline_count, matches.ends[i], &hint);
        lines[starts[matches.ids[i]]++] = (int32_t)line;
    }
    /* starts[id] is now the end of group id; keep each group ascending (arrival order usually is). */
    for (unsigned int id = 0; id < id_count; id++) {
        int64_t first = starts[id] - counts[id], last = starts[id];
        for (int64_t i = first + 1; i < last; i++) {
            if (lines[i - 1] > lines[i]) {
                qsort(lines + first, (size_t)(last - first), sizeof *lines, dw_compare_int32);
                break;
            }
        }
    }
done:
    free(matches.ids);
    free(matches.ends);
    free(newlines);
    free(starts);
    return result;
}
