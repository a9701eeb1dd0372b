/* NumPy .npy files (format 1.0/2.0, little-endian, C order) for the CLI. */
#ifndef GLINT_NPY_H
#define GLINT_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "glint.h"

typedef struct npy_array {
    glint_dtype dtype;
    int rank;
    int64_t dims[8];
    void *data;      /* malloc'd */
    size_t bytes;
} npy_array;

/* Reads path; on failure returns nonzero and writes a one-line message. */
int npy_read(const char *path, npy_array *out, char *err, size_t err_size);
/* Writes atomically (temporary file in the same directory, then rename). */
int npy_write(const char *path, glint_dtype dtype, int rank, const int64_t *dims,
              const void *data, char *err, size_t err_size);
void npy_free(npy_array *a);

#endif
