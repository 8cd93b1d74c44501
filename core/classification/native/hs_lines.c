/*
 * hs_lines: Hyperscan over a batch of values, matches collected in C.
 *
 * The `hyperscan` wheel calls a Python function for every match; with ~1.3 matches per value that
 * call costs more than the scan itself. This helper takes the values joined by '\n' (values hold no
 * newline), scans each value on its own with hs_scan (a block-mode database of ^(?:...)$ patterns
 * compiled WITHOUT multi-line mode, so ^ and $ anchor to the value, as re.fullmatch does), records
 * (pattern id, value index) in a C match handler, and writes the value indexes grouped by pattern id,
 * each group ascending, into a caller-provided int32 array. Scanning value by value is also cheaper
 * than one multi-line scan of the joined buffer (~200 M vs ~345 M instructions for 200,000 values of
 * the throughput benchmark): anchored patterns stop at the first byte that rules them out instead of
 * restarting at every newline.
 *
 * Loaded with ctypes by core/classification/native/__init__.py; built by scripts/bootstrap.sh:
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

/* The matches of one batch: (pattern id, value index) pairs in arrival order. */
typedef struct {
    uint32_t *ids;
    uint32_t *lines;
    size_t count;
    size_t capacity;
    uint32_t line; /* the value being scanned */
    int out_of_memory;
} dw_matches;

static int dw_on_match(unsigned int id, unsigned long long from, unsigned long long to,
                       unsigned int flags, void *context) {
    (void)from;
    (void)to; /* ^...$ patterns on one value: at most one match per pattern, ending at its end */
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
        uint32_t *lines = realloc(matches->lines, capacity * sizeof *lines);
        if (lines == NULL) {
            matches->out_of_memory = 1;
            return 1;
        }
        matches->lines = lines;
        matches->capacity = capacity;
    }
    matches->ids[matches->count] = id;
    matches->lines[matches->count] = matches->line;
    matches->count++;
    return 0;
}

/*
 * Scan each line of `buffer` (values joined by '\n') on its own; for each pattern id in
 * [0, id_count), write the indexes of the lines it matched, ascending, into `lines`, grouped by id,
 * and the group sizes into `counts`. Returns the number of matches; when that exceeds
 * `lines_capacity` nothing is written to `lines` (call again with a larger array). Returns a negative
 * hs_error_t or DW_ERR_* on failure.
 */
long long dw_scan_lines(const hs_database_t *db, hs_scratch_t *scratch, const char *buffer,
                        unsigned int length, unsigned int id_count, int32_t *lines,
                        long long lines_capacity, int64_t *counts) {
    dw_matches matches = {0};
    long long result;
    int64_t *starts = NULL;
    const char *p = buffer, *end = buffer + length;
    for (;;) {
        const char *newline = memchr(p, '\n', (size_t)(end - p));  /* one value per line */
        const char *stop = newline ? newline : end;
        hs_error_t rc = hs_scan(db, p, (unsigned int)(stop - p), 0, scratch, dw_on_match, &matches);
        if (matches.out_of_memory) {
            result = DW_ERR_NOMEM;
            goto done;
        }
        if (rc != HS_SUCCESS) {
            result = rc;
            goto done;
        }
        if (newline == NULL) break;
        p = newline + 1;
        matches.line++;
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
    starts = malloc(((size_t)id_count + 1) * sizeof *starts);
    if (starts == NULL) {
        result = DW_ERR_NOMEM;
        goto done;
    }
    starts[0] = 0;
    for (unsigned int id = 0; id < id_count; id++) starts[id + 1] = starts[id] + counts[id];
    /* values are scanned in order, so each group comes out ascending */
    for (size_t i = 0; i < matches.count; i++)
        lines[starts[matches.ids[i]]++] = (int32_t)matches.lines[i];
done:
    free(matches.ids);
    free(matches.lines);
    free(starts);
    return result;
}
