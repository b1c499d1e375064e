/* SPDX-License-Identifier: MIT */
/*
 * The web console: the files of web/ built into the binary (cmake/EiEmbed.cmake generates the
 * table below) and the routes that serve them on the HTTP port (ui.c). Not for the console's logic,
 * which runs in the browser (web/app.js) and talks to the same KServe v2 endpoints as any client.
 */
#ifndef EI_SERVER_HTTP_UI_H
#define EI_SERVER_HTTP_UI_H

#include <stddef.h>

/** One embedded file: its name under /ui/, its Content-Type and its bytes. */
typedef struct ei__ui_asset {
    const char *name;
    const char *ctype;
    const unsigned char *data;
    size_t size;
} ei__ui_asset_t;

extern const ei__ui_asset_t ei__ui_assets[];
extern const size_t ei__ui_asset_count;

#endif
