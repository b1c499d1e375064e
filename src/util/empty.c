/* SPDX-License-Identifier: MIT */
/* Keeps a layer with no sources yet a valid object library. */
typedef int ei__empty_translation_unit;
