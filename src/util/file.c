/* SPDX-License-Identifier: MIT */
/*
 * Whole-file reads and writes with errors that name the file: the one place the library turns a
 * path into bytes (tensor files, configs, labels) or bytes into a file. Not for large models or
 * images, which are mapped by their own modules.
 */
#include "ei_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static ei_code_t open_error(const char *path, ei_error_t *err)
{
    return ei__fail(err, errno == ENOENT ? EI_ENOENT : EI_EIO, "%s: %s", path, strerror(errno));
}

ei_code_t ei__file_read(const char *path, size_t max, unsigned char **data, size_t *size,
                        ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    unsigned char *buf = NULL;
    struct stat st;
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return open_error(path, err);
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ei__fail(err, EI_EIO, "%s: not a regular file", path);
        goto out;
    }
    if ((uint64_t)st.st_size > (uint64_t)max) {
        rc = ei__fail(err, EI_ELIMIT, "%s: file of %lld bytes exceeds the limit of %zu bytes", path,
                      (long long)st.st_size, max);
        goto out;
    }
    size_t n = (size_t)st.st_size;
    buf = ei__malloc(n + 1);
    if (buf == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "%s: out of memory for %zu bytes", path, n);
        goto out;
    }
    if (n > 0 && fread(buf, 1, n, f) != n) {
        rc = ei__fail(err, EI_EIO, "%s: short read (the file changed or could not be read)", path);
        goto out;
    }
    buf[n] = '\0';
    *data = buf;
    *size = n;
    buf = NULL;
out:
    ei__free(buf);
    fclose(f);
    return rc;
}

ei_code_t ei__file_write(const char *path, const void *const *parts, const size_t *sizes,
                         size_t n_parts, ei_error_t *err)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return open_error(path, err);
    for (size_t i = 0; i < n_parts; i++) {
        if (sizes[i] > 0 && fwrite(parts[i], 1, sizes[i], f) != sizes[i]) {
            ei_code_t rc = ei__fail(err, EI_EIO, "%s: write error: %s", path, strerror(errno));
            fclose(f);
            return rc;
        }
    }
    if (fclose(f) != 0)
        return ei__fail(err, EI_EIO, "%s: write error: %s", path, strerror(errno));
    return EI_OK;
}
