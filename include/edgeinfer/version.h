/* SPDX-License-Identifier: MIT */
/*
 * Version numbers and the export macro shared by every public header.
 */
#ifndef EDGEINFER_VERSION_H
#define EDGEINFER_VERSION_H

#define EI_VERSION_MAJOR 0
#define EI_VERSION_MINOR 1
#define EI_VERSION_PATCH 0
#define EI_VERSION_STRING "0.1.0"
/** One number that grows with each release: major * 10000 + minor * 100 + patch. */
#define EI_VERSION_HEX (EI_VERSION_MAJOR * 10000 + EI_VERSION_MINOR * 100 + EI_VERSION_PATCH)

#if defined(_WIN32)
#if defined(EI_BUILDING_DLL)
#define EI_API __declspec(dllexport)
#else
#define EI_API
#endif
#elif defined(__GNUC__)
#define EI_API __attribute__((visibility("default")))
#else
#define EI_API
#endif

#if defined(__GNUC__)
#define EI_NODISCARD __attribute__((warn_unused_result))
#else
#define EI_NODISCARD
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** The library's version string, "MAJOR.MINOR.PATCH"; compare with EI_VERSION_STRING. */
EI_API const char *ei_version_string(void);

/** The library's EI_VERSION_HEX. */
EI_API int ei_version_number(void);

#ifdef __cplusplus
}
#endif
#endif
