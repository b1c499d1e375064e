/* SPDX-License-Identifier: MIT */
/*
 * The only place an OrtStatus is inspected: maps ONNX Runtime's error codes onto ei_code_t and
 * copies its message into the caller's error buffer.
 */
#include "core_internal.h"

ei_code_t ei__ort_check(OrtStatus *st, ei_error_t *err)
{
    if (st == NULL)
        return EI_OK;
    ei_code_t code;
    switch (ei__ort->GetErrorCode(st)) {
    case ORT_OK:
        code = EI_OK;
        break;
    case ORT_INVALID_ARGUMENT:
        code = EI_EINVAL;
        break;
    case ORT_NO_SUCHFILE:
        code = EI_ENOENT;
        break;
    case ORT_NO_MODEL:
    case ORT_INVALID_GRAPH:
    case ORT_INVALID_PROTOBUF:
    case ORT_MODEL_LOADED:
    case ORT_MODEL_LOAD_CANCELED:
    case ORT_MODEL_REQUIRES_COMPILATION:
        code = EI_EMODEL;
        break;
    case ORT_NOT_IMPLEMENTED:
        code = EI_EUNSUPPORTED;
        break;
    case ORT_NOT_FOUND:
        code = EI_ENOTFOUND;
        break;
    default:
        code = EI_ERUNTIME;
        break;
    }
    if (code == EI_OK)
        code = EI_ERUNTIME;
    const char *msg = ei__ort->GetErrorMessage(st);
    ei__fail(err, code, "%s", msg != NULL ? msg : "unknown ONNX Runtime error");
    ei__ort->ReleaseStatus(st);
    return code;
}
