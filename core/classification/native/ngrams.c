/*
 * ngrams: the character n-gram count matrix of core/classification/char_ngrams.py, counted in C.
 *
 * The caller has already turned the documents into "digits" (char_ngrams.py's module docstring: a
 * character of the vocabulary is its digit 1..base-1, any other character 0) laid end to end, with a
 * 0 after every document. An n-gram is the base-`base` number of its digits; a window holding a 0 is
 * never a vocabulary n-gram. This file walks each document's windows of length min_n..max_n once,
 * looks each key up (a dense key -> feature table, or binary search in the sorted keys), counts the
 * features per document in a scratch array and writes the document's row of a CSR matrix: features
 * ascending, counts as doubles. The numpy path in char_ngrams.py builds the same matrix with several
 * passes over arrays of every window plus a sort of all of them; this is one pass, in cache.
 *
 * Loaded with ctypes by core/classification/native/ngram_counts.py; built by scripts/bootstrap.sh:
 *
 *   gcc -O2 -shared -fPIC -o core/classification/native/_ngrams.so core/classification/native/ngrams.c
 *
 * dw_count_ngrams returns the number of cells written, or a negative error code.
 */
#include <stdint.h>
#include <stdlib.h>

#define DW_ERR_NOMEM (-1)
#define DW_ERR_CAPACITY (-2)
#define DW_ERR_ARGS (-3)

static int compare_int32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int32_t lookup(int64_t key, const int16_t *table, int64_t table_size, const int64_t *keys,
                      const int64_t *columns, int64_t key_count) {
    if (table != NULL) return key < table_size ? table[key] : -1;
    int64_t low = 0, high = key_count;
    while (low < high) {
        int64_t middle = low + (high - low) / 2;
        if (keys[middle] < key) low = middle + 1;
        else high = middle;
    }
    return (low < key_count && keys[low] == key) ? (int32_t)columns[low] : -1;
}

/*
 * digits[length]: the documents' digits, each document followed by a 0; starts[rows + 1]: where
 * each document begins (starts[rows] == length). Lookup: `table` (table_size entries, -1 = not in
 * the vocabulary) or, when table is NULL, the ascending `keys` with their `columns`. Output: indptr
 * (rows + 1), indices and data (capacity cells each).
 */
long long dw_count_ngrams(const int32_t *digits, int64_t length, const int64_t *starts, int64_t rows,
                          int32_t min_n, int32_t max_n, int64_t base, const int16_t *table,
                          int64_t table_size, const int64_t *keys, const int64_t *columns,
                          int64_t key_count, int32_t features, int64_t *indptr, int32_t *indices,
                          double *data, int64_t capacity) {
    if (min_n < 1 || max_n < min_n || features < 0 || rows < 0 || (rows > 0 && starts[rows] != length))
        return DW_ERR_ARGS;
    int32_t *counts = calloc((size_t)features + 1, sizeof(int32_t));
    int32_t *touched = malloc(((size_t)features + 1) * sizeof(int32_t));
    if (counts == NULL || touched == NULL) {
        free(counts);
        free(touched);
        return DW_ERR_NOMEM;
    }
    int64_t cells = 0;
    indptr[0] = 0;
    for (int64_t row = 0; row < rows; row++) {
        int64_t begin = starts[row], end = starts[row + 1];
        int64_t distinct = 0;
        for (int64_t i = begin; i < end; i++) {
            int64_t key = 0;
            for (int32_t n = 1; n <= max_n && i + n <= end; n++) {
                int32_t digit = digits[i + n - 1];
                if (digit <= 0) break; /* no window from i of this length or longer is an n-gram */
                key = key * base + digit;
                if (n < min_n) continue;
                int32_t feature = lookup(key, table, table_size, keys, columns, key_count);
                if (feature < 0 || feature >= features) continue;
                if (counts[feature]++ == 0) touched[distinct++] = feature;
            }
        }
        if (cells + distinct > capacity) {
            free(counts);
            free(touched);
            return DW_ERR_CAPACITY;
        }
        qsort(touched, (size_t)distinct, sizeof(int32_t), compare_int32);
        for (int64_t k = 0; k < distinct; k++) {
            int32_t feature = touched[k];
            indices[cells] = feature;
            data[cells] = (double)counts[feature];
            counts[feature] = 0;
            cells++;
        }
        indptr[row + 1] = cells;
    }
    free(counts);
    free(touched);
    return cells;
}
