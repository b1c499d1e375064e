/* SPDX-License-Identifier: MIT */
/*
 * Sessions: option translation (threads, optimisation, profiling, arenas, free-dim overrides,
 * execution providers with fallback), introspection cached at load time, input checking, and Run.
 *
 * Everything a run needs to look up (names, types, shapes) is read once when the session is
 * created, so ei_session_run() does no ORT metadata calls and no allocation beyond the OrtValue
 * headers and the output tensors.
 */
#include "core_internal.h"

#include <edgeinfer/model.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

typedef struct {
    ei_value_info_t pub;
    char *name;
    int64_t shape[EI_MAX_RANK];
    char *dim_name_store[EI_MAX_RANK];
    const char *dim_names[EI_MAX_RANK];
} value_slot_t;

struct ei_session {
    OrtSession *ort;
    OrtRunOptions *run_opts;
    OrtRunOptions *run_opts_shrink; /* run_opts + arena shrinkage (the run-memory arena) */
    size_t n_in, n_out;
    value_slot_t *in, *out;
    const char **out_names; /* all output names, model order */
    ei_model_meta_t meta;
    char *meta_strings[5];
    char **custom_keys, **custom_values;
    const char *providers[EI_MAX_RANK];
    size_t n_providers;
    bool profiling;
    char *profile_path;
    char *log_id;
    _Atomic bool terminated; /* ei_session_terminate() was called */
};

void ei_session_opts_init(ei_session_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->graph_opt = EI_GRAPH_OPT_ALL;
}

/* Provider registration ------------------------------------------------------------------------ */

static ei_code_t append_cuda(OrtSessionOptions *so, const ei_provider_opts_t *p, ei_error_t *err)
{
    OrtCUDAProviderOptionsV2 *o = NULL;
    ei_code_t rc = ei__ort_check(ei__ort->CreateCUDAProviderOptions(&o), err);
    if (rc != EI_OK)
        return rc;
    if (p->n_options > 0)
        rc = ei__ort_check(ei__ort->UpdateCUDAProviderOptions(o, (const char *const *)p->keys,
                                                              (const char *const *)p->values,
                                                              p->n_options),
                           err);
    if (rc == EI_OK)
        rc = ei__ort_check(ei__ort->SessionOptionsAppendExecutionProvider_CUDA_V2(so, o), err);
    ei__ort->ReleaseCUDAProviderOptions(o);
    return rc;
}

static ei_code_t append_tensorrt(OrtSessionOptions *so, const ei_provider_opts_t *p,
                                 ei_error_t *err)
{
    OrtTensorRTProviderOptionsV2 *o = NULL;
    ei_code_t rc = ei__ort_check(ei__ort->CreateTensorRTProviderOptions(&o), err);
    if (rc != EI_OK)
        return rc;
    if (p->n_options > 0)
        rc = ei__ort_check(ei__ort->UpdateTensorRTProviderOptions(o, (const char *const *)p->keys,
                                                                  (const char *const *)p->values,
                                                                  p->n_options),
                           err);
    if (rc == EI_OK)
        rc = ei__ort_check(ei__ort->SessionOptionsAppendExecutionProvider_TensorRT_V2(so, o), err);
    ei__ort->ReleaseTensorRTProviderOptions(o);
    return rc;
}

/* The names ORT's generic SessionOptionsAppendExecutionProvider() accepts. */
static const char *generic_provider_name(const char *short_name)
{
    static const struct {
        const char *ours, *ort;
    } map[] = {{"openvino", "OpenVINO"}, {"xnnpack", "XNNPACK"}, {"qnn", "QNN"},
               {"snpe", "SNPE"},         {"coreml", "CoreML"},   {"azure", "AZURE"},
               {"vitisai", "VitisAI"},   {"webgpu", "WebGPU"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(short_name, map[i].ours) == 0)
            return map[i].ort;
    }
    return NULL;
}

static void list_available(char *buf, size_t size)
{
    const char *names[32];
    size_t n = ei_providers_available(names, 32);
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < 32 && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static ei_code_t add_providers(ei_session_t *s, OrtSessionOptions *so, const ei_session_opts_t *o,
                               ei_error_t *err)
{
    char avail[256];
    for (size_t i = 0; i < o->n_providers; i++) {
        const ei_provider_opts_t *p = &o->providers[i];
        if (p->name == NULL)
            return ei__fail(err, EI_EINVAL, "provider %zu has no name", i);
        const char *long_name = ei__provider_long_name(p->name);
        if (long_name == NULL) {
            list_available(avail, sizeof(avail));
            return ei__fail(err, EI_EINVAL,
                            "unknown execution provider '%s' (this runtime has: %s)", p->name,
                            avail);
        }
        const char *short_name = ei__provider_short_name(long_name);
        if (strcmp(short_name, "cpu") == 0)
            break; /* CPU is always last; anything listed after it is never used */
        if (!ei_provider_available(short_name)) {
            list_available(avail, sizeof(avail));
            if (p->required)
                return ei__fail(err, EI_EUNSUPPORTED,
                                "execution provider '%s' is required but this ONNX Runtime does "
                                "not have it (available: %s)",
                                short_name, avail);
            EI_LOG(EI_LOG_WARN, "core",
                   "execution provider '%s' is not available in this ONNX Runtime; skipping it "
                   "(available: %s)",
                   short_name, avail);
            continue;
        }
        ei_code_t rc;
        if (strcmp(short_name, "cuda") == 0) {
            rc = append_cuda(so, p, err);
        } else if (strcmp(short_name, "tensorrt") == 0) {
            rc = append_tensorrt(so, p, err);
        } else if (generic_provider_name(short_name) != NULL) {
            rc = ei__ort_check(ei__ort->SessionOptionsAppendExecutionProvider(
                                   so, generic_provider_name(short_name),
                                   (const char *const *)p->keys, (const char *const *)p->values,
                                   p->n_options),
                               err);
        } else {
            rc = ei__fail(
                err, EI_EUNSUPPORTED,
                "execution provider '%s' is available but edgeinfer cannot configure it yet",
                short_name);
        }
        if (rc != EI_OK) {
            if (p->required) {
                ei__error_prefix(err, "execution provider '%s'", short_name);
                return rc;
            }
            EI_LOG(EI_LOG_WARN, "core",
                   "execution provider '%s' failed to initialise, skipping it: %s", short_name,
                   err ? err->msg : "");
            ei_error_clear(err);
            continue;
        }
        if (s->n_providers < EI_MAX_RANK - 1)
            s->providers[s->n_providers++] = short_name;
    }
    s->providers[s->n_providers++] = "cpu";
    return EI_OK;
}

/* Loads the custom-op libraries (ORT dlopen()s them and calls their RegisterCustomOps). */
static ei_code_t add_custom_ops(OrtSessionOptions *so, const ei_session_opts_t *o, ei_error_t *err)
{
    for (size_t i = 0; i < o->n_custom_op_libraries; i++) {
        const char *lib = o->custom_op_libraries != NULL ? o->custom_op_libraries[i] : NULL;
        if (lib == NULL || lib[0] == '\0')
            return ei__fail(err, EI_EINVAL, "custom-op library %zu has no path", i);
        struct stat st;
        if (stat(lib, &st) != 0)
            return ei__fail(err, errno == ENOENT ? EI_ENOENT : EI_EIO, "custom-op library %s: %s",
                            lib, strerror(errno));
        if (!S_ISREG(st.st_mode))
            return ei__fail(err, EI_EINVAL, "custom-op library %s: not a regular file", lib);
        ei_code_t rc = ei__ort_check(ei__ort->RegisterCustomOpsLibrary_V2(so, lib), err);
        if (rc != EI_OK) {
            if (err != NULL)
                err->code = EI_EMODEL;
            ei__error_prefix(err, "custom-op library %s could not be loaded", lib);
            return EI_EMODEL;
        }
    }
    return EI_OK;
}

static ei_code_t build_options(ei_session_t *s, const ei_session_opts_t *o, OrtSessionOptions **out,
                               ei_error_t *err)
{
    OrtSessionOptions *so = NULL;
    ei_code_t rc = ei__ort_check(ei__ort->CreateSessionOptions(&so), err);
    if (rc != EI_OK)
        return rc;
    OrtStatus *st = NULL;
    if (o->intra_op_threads < 0 || o->inter_op_threads < 0) {
        rc = ei__fail(err, EI_EINVAL, "thread counts must be >= 0 (intra %d, inter %d)",
                      o->intra_op_threads, o->inter_op_threads);
        goto out;
    }
    if (o->use_global_threads) {
        if (!ei__env_global_threads()) {
            rc = ei__fail(err, EI_EINVAL,
                          "use_global_threads needs the runtime initialised with global thread "
                          "pools (ei_global_opts_t.global_thread_pools)");
            goto out;
        }
        st = ei__ort->DisablePerSessionThreads(so);
    } else {
        if (o->intra_op_threads > 0)
            st = ei__ort->SetIntraOpNumThreads(so, o->intra_op_threads);
        if (st == NULL && o->inter_op_threads > 0)
            st = ei__ort->SetInterOpNumThreads(so, o->inter_op_threads);
    }
    if (st == NULL)
        st = ei__ort->SetSessionExecutionMode(so, o->parallel_execution ? ORT_PARALLEL
                                                                        : ORT_SEQUENTIAL);
    if (st == NULL) {
        GraphOptimizationLevel lvl = ORT_ENABLE_ALL;
        switch (o->graph_opt) {
        case EI_GRAPH_OPT_DISABLE:
            lvl = ORT_DISABLE_ALL;
            break;
        case EI_GRAPH_OPT_BASIC:
            lvl = ORT_ENABLE_BASIC;
            break;
        case EI_GRAPH_OPT_EXTENDED:
            lvl = ORT_ENABLE_EXTENDED;
            break;
        case EI_GRAPH_OPT_ALL:
            lvl = ORT_ENABLE_ALL;
            break;
        }
        st = ei__ort->SetSessionGraphOptimizationLevel(so, lvl);
    }
    if (st == NULL && o->optimized_model_path != NULL)
        st = ei__ort->SetOptimizedModelFilePath(so, o->optimized_model_path);
    if (st == NULL && o->profile_prefix != NULL) {
        st = ei__ort->EnableProfiling(so, o->profile_prefix);
        s->profiling = true;
    }
    if (st == NULL && o->disable_mem_arena)
        st = ei__ort->DisableCpuMemArena(so);
    /* The runtime's run-memory limit: tensors come from its shared, limited arena; weights keep
     * plain allocations so the limit is what runs may use, whatever the models loaded. */
    if (st == NULL && !o->disable_mem_arena && ei__env_run_memory_limit() > 0)
        st = ei__ort->AddSessionConfigEntry(so, "session.use_env_allocators", "1");
    if (st == NULL && !o->disable_mem_arena && ei__env_run_memory_limit() > 0)
        st = ei__ort->AddSessionConfigEntry(so, "session.use_device_allocator_for_initializers",
                                            "1");
    if (st == NULL && o->disable_mem_pattern)
        st = ei__ort->DisableMemPattern(so);
    if (st == NULL && s->log_id != NULL)
        st = ei__ort->SetSessionLogId(so, s->log_id);
    for (size_t i = 0; st == NULL && i < o->n_dim_overrides; i++) {
        if (o->dim_overrides[i].name == NULL || o->dim_overrides[i].value < 0) {
            rc = ei__fail(err, EI_EINVAL, "dim override %zu needs a name and a value >= 0", i);
            goto out;
        }
        st = ei__ort->AddFreeDimensionOverrideByName(so, o->dim_overrides[i].name,
                                                     o->dim_overrides[i].value);
    }
    rc = ei__ort_check(st, err);
    if (rc == EI_OK)
        rc = add_custom_ops(so, o, err);
    if (rc == EI_OK)
        rc = add_providers(s, so, o, err);
out:
    if (rc != EI_OK) {
        ei__ort->ReleaseSessionOptions(so);
        return rc;
    }
    *out = so;
    return EI_OK;
}

/* Introspection ------------------------------------------------------------------------------ */

static ei_code_t read_type(OrtTypeInfo *ti, value_slot_t *slot, ei_error_t *err)
{
    ONNXType ot = ONNX_TYPE_UNKNOWN;
    ei_code_t rc = ei__ort_check(ei__ort->GetOnnxTypeFromTypeInfo(ti, &ot), err);
    if (rc != EI_OK)
        return rc;
    slot->pub.shape = slot->shape;
    slot->pub.dim_names = slot->dim_names;
    switch (ot) {
    case ONNX_TYPE_TENSOR:
    case ONNX_TYPE_SPARSETENSOR: {
        slot->pub.kind = ot == ONNX_TYPE_TENSOR ? EI_VALUE_TENSOR : EI_VALUE_SPARSE_TENSOR;
        const OrtTensorTypeAndShapeInfo *info = NULL;
        rc = ei__ort_check(ei__ort->CastTypeInfoToTensorInfo(ti, &info), err);
        if (rc != EI_OK || info == NULL)
            return rc;
        ONNXTensorElementDataType et;
        size_t rank = 0;
        rc = ei__ort_check(ei__ort->GetTensorElementType(info, &et), err);
        if (rc == EI_OK)
            rc = ei__ort_check(ei__ort->GetDimensionsCount(info, &rank), err);
        if (rc != EI_OK)
            return rc;
        if (rank > EI_MAX_RANK)
            return ei__fail(err, EI_EUNSUPPORTED, "rank %zu exceeds %d", rank, EI_MAX_RANK);
        slot->pub.dtype = (ei_dtype_t)et;
        slot->pub.rank = rank;
        /* ORT reports an unknown shape as rank 0 with no dims; a true scalar also has rank 0. */
        slot->pub.rank_known = true;
        const char *syms[EI_MAX_RANK] = {0};
        rc = ei__ort_check(ei__ort->GetDimensions(info, slot->shape, rank), err);
        if (rc == EI_OK)
            rc = ei__ort_check(ei__ort->GetSymbolicDimensions(info, syms, rank), err);
        if (rc != EI_OK)
            return rc;
        for (size_t d = 0; d < rank; d++) {
            slot->dim_name_store[d] = ei__strdup(syms[d] != NULL ? syms[d] : "");
            if (slot->dim_name_store[d] == NULL)
                return ei__fail(err, EI_ENOMEM, "out of memory");
            slot->dim_names[d] = slot->dim_name_store[d];
        }
        return EI_OK;
    }
    case ONNX_TYPE_SEQUENCE:
    case ONNX_TYPE_OPTIONAL: {
        slot->pub.kind = ot == ONNX_TYPE_SEQUENCE ? EI_VALUE_SEQUENCE : EI_VALUE_OPTIONAL;
        OrtTypeInfo *inner = NULL;
        if (ot == ONNX_TYPE_SEQUENCE) {
            const OrtSequenceTypeInfo *sq = NULL;
            rc = ei__ort_check(ei__ort->CastTypeInfoToSequenceTypeInfo(ti, &sq), err);
            if (rc == EI_OK && sq != NULL)
                rc = ei__ort_check(ei__ort->GetSequenceElementType(sq, &inner), err);
        } else {
            const OrtOptionalTypeInfo *op = NULL;
            rc = ei__ort_check(ei__ort->CastTypeInfoToOptionalTypeInfo(ti, &op), err);
            if (rc == EI_OK && op != NULL)
                rc = ei__ort_check(ei__ort->GetOptionalContainedTypeInfo(op, &inner), err);
        }
        if (rc != EI_OK)
            return rc;
        if (inner != NULL) {
            /* What the sequence/optional holds: its kind and, for tensors, their element type. */
            value_slot_t in_slot;
            memset(&in_slot, 0, sizeof(in_slot));
            rc = read_type(inner, &in_slot, err);
            ei__ort->ReleaseTypeInfo(inner);
            for (size_t d = 0; d < EI_MAX_RANK; d++)
                ei__free(in_slot.dim_name_store[d]);
            if (rc != EI_OK)
                return rc;
            slot->pub.elem_kind = in_slot.pub.kind;
            slot->pub.dtype = in_slot.pub.dtype;
            slot->pub.key_dtype = in_slot.pub.key_dtype;
        }
        return EI_OK;
    }
    case ONNX_TYPE_MAP: {
        slot->pub.kind = EI_VALUE_MAP;
        const OrtMapTypeInfo *mi = NULL;
        rc = ei__ort_check(ei__ort->CastTypeInfoToMapTypeInfo(ti, &mi), err);
        if (rc != EI_OK || mi == NULL)
            return rc;
        ONNXTensorElementDataType kt = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
        rc = ei__ort_check(ei__ort->GetMapKeyType(mi, &kt), err);
        if (rc != EI_OK)
            return rc;
        slot->pub.key_dtype = (ei_dtype_t)kt;
        OrtTypeInfo *vti = NULL;
        rc = ei__ort_check(ei__ort->GetMapValueType(mi, &vti), err);
        if (rc != EI_OK)
            return rc;
        const OrtTensorTypeAndShapeInfo *info = NULL;
        if (vti != NULL &&
            ei__ort_check(ei__ort->CastTypeInfoToTensorInfo(vti, &info), NULL) == EI_OK &&
            info != NULL) {
            ONNXTensorElementDataType et;
            if (ei__ort_check(ei__ort->GetTensorElementType(info, &et), NULL) == EI_OK)
                slot->pub.dtype = (ei_dtype_t)et;
        }
        if (vti != NULL)
            ei__ort->ReleaseTypeInfo(vti);
        return EI_OK;
    }
    default:
        slot->pub.kind = EI_VALUE_OTHER;
        return EI_OK;
    }
}

static ei_code_t read_values(ei_session_t *s, bool inputs, ei_error_t *err)
{
    size_t n = 0;
    OrtAllocator *alloc = NULL;
    ei_code_t rc = ei__ort_check(ei__ort->GetAllocatorWithDefaultOptions(&alloc), err);
    if (rc != EI_OK)
        return rc;
    rc = ei__ort_check(inputs ? ei__ort->SessionGetInputCount(s->ort, &n)
                              : ei__ort->SessionGetOutputCount(s->ort, &n),
                       err);
    if (rc != EI_OK)
        return rc;
    value_slot_t *slots = ei__calloc(n ? n : 1, sizeof(*slots));
    if (slots == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    if (inputs) {
        s->in = slots;
        s->n_in = n;
    } else {
        s->out = slots;
        s->n_out = n;
    }
    for (size_t i = 0; i < n; i++) {
        char *name = NULL;
        rc = ei__ort_check(inputs ? ei__ort->SessionGetInputName(s->ort, i, alloc, &name)
                                  : ei__ort->SessionGetOutputName(s->ort, i, alloc, &name),
                           err);
        if (rc != EI_OK)
            return rc;
        slots[i].name = ei__strdup(name);
        ei__ort_check(ei__ort->AllocatorFree(alloc, name), NULL);
        if (slots[i].name == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory");
        slots[i].pub.name = slots[i].name;
        OrtTypeInfo *ti = NULL;
        rc = ei__ort_check(inputs ? ei__ort->SessionGetInputTypeInfo(s->ort, i, &ti)
                                  : ei__ort->SessionGetOutputTypeInfo(s->ort, i, &ti),
                           err);
        if (rc != EI_OK)
            return rc;
        rc = read_type(ti, &slots[i], err);
        ei__ort->ReleaseTypeInfo(ti);
        if (rc != EI_OK) {
            ei__error_prefix(err, "%s '%s'", inputs ? "input" : "output", slots[i].name);
            return rc;
        }
    }
    return EI_OK;
}

static char *meta_string(OrtModelMetadata *m, OrtAllocator *alloc,
                         OrtStatus *(ORT_API_CALL *get)(const OrtModelMetadata *, OrtAllocator *,
                                                        char **))
{
    char *v = NULL;
    if (ei__ort_check(get(m, alloc, &v), NULL) != EI_OK || v == NULL)
        return ei__strdup("");
    char *copy = ei__strdup(v);
    ei__ort_check(ei__ort->AllocatorFree(alloc, v), NULL);
    return copy;
}

static ei_code_t read_metadata(ei_session_t *s, ei_error_t *err)
{
    OrtModelMetadata *m = NULL;
    OrtAllocator *alloc = NULL;
    ei_code_t rc = ei__ort_check(ei__ort->GetAllocatorWithDefaultOptions(&alloc), err);
    if (rc == EI_OK)
        rc = ei__ort_check(ei__ort->SessionGetModelMetadata(s->ort, &m), err);
    if (rc != EI_OK)
        return rc;
    s->meta_strings[0] = meta_string(m, alloc, ei__ort->ModelMetadataGetProducerName);
    s->meta_strings[1] = meta_string(m, alloc, ei__ort->ModelMetadataGetGraphName);
    s->meta_strings[2] = meta_string(m, alloc, ei__ort->ModelMetadataGetGraphDescription);
    s->meta_strings[3] = meta_string(m, alloc, ei__ort->ModelMetadataGetDomain);
    s->meta_strings[4] = meta_string(m, alloc, ei__ort->ModelMetadataGetDescription);
    for (int i = 0; i < 5; i++) {
        if (s->meta_strings[i] == NULL) {
            rc = ei__fail(err, EI_ENOMEM, "out of memory");
            goto out;
        }
    }
    s->meta.producer_name = s->meta_strings[0];
    s->meta.graph_name = s->meta_strings[1];
    s->meta.graph_description = s->meta_strings[2];
    s->meta.domain = s->meta_strings[3];
    s->meta.description = s->meta_strings[4];
    ei__ort_check(ei__ort->ModelMetadataGetVersion(m, &s->meta.version), NULL);
    char **keys = NULL;
    int64_t nk = 0;
    rc = ei__ort_check(ei__ort->ModelMetadataGetCustomMetadataMapKeys(m, alloc, &keys, &nk), err);
    if (rc != EI_OK)
        goto out;
    if (nk > 0) {
        s->custom_keys = ei__calloc((size_t)nk, sizeof(char *));
        s->custom_values = ei__calloc((size_t)nk, sizeof(char *));
        bool arrays = s->custom_keys != NULL && s->custom_values != NULL;
        if (arrays) {
            /* Set the count now: ei_session_destroy frees whatever entries got filled. */
            s->meta.n_custom = (size_t)nk;
            s->meta.custom_keys = (const char *const *)s->custom_keys;
            s->meta.custom_values = (const char *const *)s->custom_values;
        }
        for (int64_t i = 0; i < nk; i++) {
            char *v = NULL;
            if (arrays && rc == EI_OK) {
                s->custom_keys[i] = ei__strdup(keys[i]);
                if (ei__ort_check(
                        ei__ort->ModelMetadataLookupCustomMetadataMap(m, alloc, keys[i], &v),
                        NULL) == EI_OK &&
                    v != NULL) {
                    s->custom_values[i] = ei__strdup(v);
                    ei__ort_check(ei__ort->AllocatorFree(alloc, v), NULL);
                } else {
                    s->custom_values[i] = ei__strdup("");
                }
                if (s->custom_keys[i] == NULL || s->custom_values[i] == NULL)
                    rc = ei__fail(err, EI_ENOMEM, "out of memory");
            }
            ei__ort_check(ei__ort->AllocatorFree(alloc, keys[i]), NULL);
        }
        ei__ort_check(ei__ort->AllocatorFree(alloc, keys), NULL);
        if (!arrays) {
            ei__free(s->custom_keys);
            ei__free(s->custom_values);
            s->custom_keys = s->custom_values = NULL;
            rc = ei__fail(err, EI_ENOMEM, "out of memory");
        }
    }
out:
    ei__ort->ReleaseModelMetadata(m);
    return rc;
}

/* Create / destroy ----------------------------------------------------------------------------- */

/* A model read into memory from `path` finds its external data files next to that path. */
static ei_code_t external_data_dir(OrtSessionOptions *so, const char *path, ei_error_t *err)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        ei__strlcpy(dir, ".", sizeof(dir));
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof(dir))
            return ei__fail(err, EI_EINVAL, "%s: path too long", path);
        memcpy(dir, path, n);
        dir[n == 0 ? 1 : n] = '\0';
        if (n == 0)
            dir[0] = '/';
    }
    return ei__ort_check(ei__ort->AddSessionConfigEntry(
                             so, "session.model_external_initializers_file_folder_path", dir),
                         err);
}

/*
 * ORT's model-load failures in our words: for a file that is not a model at all (empty,
 * truncated, another format) the ModelProto reader's message, which says so and names the file;
 * otherwise ORT's reason without its "Load model from X failed:" preamble, and with a hint when an
 * operator is unknown (most often a custom op whose library was not loaded).
 */
static void load_error_words(const char *path, const void *data, size_t size, ei_error_t *err)
{
    if (err == NULL)
        return;
    if (err->code == EI_EMODEL) {
        ei_model_info_t *info = NULL;
        ei_error_t ierr = {0};
        ei_code_t irc = data != NULL ? ei_model_inspect_memory(data, size, path, &info, &ierr)
                                     : ei_model_inspect(path, &info, &ierr);
        ei_model_info_destroy(info);
        if (irc == EI_EMODEL) {
            *err = ierr;
            return;
        }
    }
    static const char pre[] = "Load model from ";
    char *failed = strstr(err->msg, " failed:");
    if (strncmp(err->msg, pre, sizeof(pre) - 1) == 0 && failed != NULL) {
        char *rest = failed + strlen(" failed:");
        memmove(err->msg, rest, strlen(rest) + 1);
    }
    if (strstr(err->msg, "is not a registered function/op") != NULL) {
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof(err->msg) - len,
                 " (an operator this ONNX Runtime does not have; if it is a custom op, load its "
                 "library: custom_op_libraries, --custom-op-library)");
    }
}

static ei_code_t create_common(const char *path, const void *data, size_t size,
                               const ei_session_opts_t *opts, ei_session_t **out, ei_error_t *err)
{
    ei_session_opts_t defaults;
    OrtSessionOptions *so = NULL;
    ei_session_t *s = NULL;
    ei_code_t rc;
    *out = NULL;
    if (opts == NULL) {
        ei_session_opts_init(&defaults);
        opts = &defaults;
    }
    OrtEnv *env = ei__env(err);
    if (env == NULL)
        return err ? err->code : EI_ERUNTIME;
    s = ei__calloc(1, sizeof(*s));
    if (s == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    s->log_id = ei__strdup(opts->log_id != NULL ? opts->log_id : (path != NULL ? path : "memory"));
    if (s->log_id == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
        goto fail;
    }
    rc = build_options(s, opts, &so, err);
    if (rc != EI_OK)
        goto fail;
    if (data == NULL) {
        rc = ei__ort_check(ei__ort->CreateSession(env, path, so, &s->ort), err);
    } else {
        if (path != NULL)
            rc = external_data_dir(so, path, err);
        if (rc == EI_OK)
            rc = ei__ort_check(ei__ort->CreateSessionFromArray(env, data, size, so, &s->ort), err);
    }
    if (rc == EI_EINVAL || rc == EI_ERUNTIME) {
        /* ORT reports unparsable files as generic failures; name them what they are. */
        if (err != NULL && (strstr(err->msg, "Protobuf parsing failed") != NULL ||
                            strstr(err->msg, "Load model") != NULL ||
                            strstr(err->msg, "No graph was found") != NULL))
            rc = err->code = EI_EMODEL;
    }
    if (rc != EI_OK) {
        load_error_words(path, data, size, err);
        goto fail;
    }
    if (ei__ort->CreateRunOptions(&s->run_opts) != NULL)
        s->run_opts = NULL;
    if (s->run_opts != NULL && !opts->disable_mem_arena && ei__env_run_memory_limit() > 0) {
        /* The run after one the run-memory arena refused gives its free regions back. */
        if (ei__ort->CreateRunOptions(&s->run_opts_shrink) != NULL)
            s->run_opts_shrink = NULL;
        if (s->run_opts_shrink != NULL &&
            ei__ort_check(ei__ort->AddRunConfigEntry(
                              s->run_opts_shrink, "memory.enable_memory_arena_shrinkage", "cpu:0"),
                          NULL) != EI_OK) {
            ei__ort->ReleaseRunOptions(s->run_opts_shrink);
            s->run_opts_shrink = NULL;
        }
        ei__env_run_memory_watch(s->ort);
    }
    rc = read_values(s, true, err);
    if (rc == EI_OK)
        rc = read_values(s, false, err);
    if (rc == EI_OK)
        rc = read_metadata(s, err);
    if (rc != EI_OK)
        goto fail;
    s->out_names = ei__calloc(s->n_out ? s->n_out : 1, sizeof(char *));
    if (s->out_names == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < s->n_out; i++)
        s->out_names[i] = s->out[i].name;
    ei__ort->ReleaseSessionOptions(so);
    *out = s;
    return EI_OK;
fail:
    if (so != NULL)
        ei__ort->ReleaseSessionOptions(so);
    s->profiling = false; /* nothing worth a trace */
    ei_session_destroy(s);
    return rc;
}

ei_code_t ei_session_create(const char *model_path, const ei_session_opts_t *opts,
                            ei_session_t **out, ei_error_t *err)
{
    *out = NULL;
    if (model_path == NULL)
        return ei__fail(err, EI_EINVAL, "model path is NULL");
    struct stat st;
    if (stat(model_path, &st) != 0)
        return ei__fail(err, errno == ENOENT ? EI_ENOENT : EI_EIO, "%s: %s", model_path,
                        strerror(errno));
    if (S_ISDIR(st.st_mode))
        return ei__fail(err, EI_EINVAL, "%s: is a directory, not a model file", model_path);
    ei_code_t rc;
    bool verify = opts != NULL && opts->verify_keys != NULL;
    if (verify || ei_model_is_encrypted(model_path)) {
        /* Checked and decrypted bytes are what ORT loads: nothing is read from the file twice. */
        void *data = NULL;
        size_t size = 0;
        rc = ei_model_read(model_path, verify ? opts->verify_keys : NULL,
                           opts != NULL ? opts->model_key : NULL, &data, &size, err);
        if (rc == EI_OK && size == 0)
            rc = ei__fail(err, EI_EMODEL, "%s: empty model", model_path);
        if (rc == EI_OK)
            rc = create_common(model_path, data, size, opts, out, err);
        ei_model_bytes_free(data, size);
    } else {
        rc = create_common(model_path, NULL, 0, opts, out, err);
    }
    if (rc != EI_OK && err != NULL && strstr(err->msg, model_path) == NULL)
        ei__error_prefix(err, "loading %s", model_path);
    return rc;
}

ei_code_t ei_session_create_from_memory(const void *data, size_t size,
                                        const ei_session_opts_t *opts, ei_session_t **out,
                                        ei_error_t *err)
{
    *out = NULL;
    if (data == NULL || size == 0)
        return ei__fail(err, EI_EINVAL, "model buffer is empty");
    ei_code_t rc = create_common(NULL, data, size, opts, out, err);
    if (rc != EI_OK)
        ei__error_prefix(err, "loading model from memory");
    return rc;
}

static void free_slots(value_slot_t *slots, size_t n)
{
    if (slots == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        ei__free(slots[i].name);
        for (size_t d = 0; d < EI_MAX_RANK; d++)
            ei__free(slots[i].dim_name_store[d]);
    }
    ei__free(slots);
}

static void ei_session_profile_end_quiet(ei_session_t *s)
{
    ei_error_t err;
    if (ei_session_profile_end(s, NULL, &err) != EI_OK)
        EI_LOG(EI_LOG_WARN, "core", "ending the profile: %s", err.msg);
}

void ei_session_destroy(ei_session_t *s)
{
    if (s == NULL)
        return;
    if (s->profiling && s->profile_path == NULL)
        ei_session_profile_end_quiet(s);
    if (s->ort != NULL)
        ei__ort->ReleaseSession(s->ort);
    if (s->run_opts != NULL)
        ei__ort->ReleaseRunOptions(s->run_opts);
    if (s->run_opts_shrink != NULL)
        ei__ort->ReleaseRunOptions(s->run_opts_shrink);
    free_slots(s->in, s->n_in);
    free_slots(s->out, s->n_out);
    ei__free(s->out_names);
    for (int i = 0; i < 5; i++)
        ei__free(s->meta_strings[i]);
    for (size_t i = 0; i < s->meta.n_custom; i++) {
        ei__free(s->custom_keys[i]);
        ei__free(s->custom_values[i]);
    }
    ei__free(s->custom_keys);
    ei__free(s->custom_values);
    ei__free(s->profile_path);
    ei__free(s->log_id);
    ei__free(s);
}

size_t ei_session_input_count(const ei_session_t *s)
{
    return s->n_in;
}

size_t ei_session_output_count(const ei_session_t *s)
{
    return s->n_out;
}

const ei_value_info_t *ei_session_input(const ei_session_t *s, size_t i)
{
    return i < s->n_in ? &s->in[i].pub : NULL;
}

const ei_value_info_t *ei_session_output(const ei_session_t *s, size_t i)
{
    return i < s->n_out ? &s->out[i].pub : NULL;
}

int ei_session_input_index(const ei_session_t *s, const char *name)
{
    for (size_t i = 0; name != NULL && i < s->n_in; i++) {
        if (strcmp(s->in[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

int ei_session_output_index(const ei_session_t *s, const char *name)
{
    for (size_t i = 0; name != NULL && i < s->n_out; i++) {
        if (strcmp(s->out[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

const ei_model_meta_t *ei_session_metadata(const ei_session_t *s)
{
    return &s->meta;
}

size_t ei_session_providers(const ei_session_t *s, const char **names, size_t cap)
{
    for (size_t i = 0; i < s->n_providers && i < cap; i++)
        names[i] = s->providers[i];
    return s->n_providers;
}

ei_code_t ei_session_profile_end(ei_session_t *s, const char **path, ei_error_t *err)
{
    if (!s->profiling)
        return ei__fail(err, EI_EINVAL, "profiling is not enabled for this session");
    if (s->profile_path == NULL) {
        OrtAllocator *alloc = NULL;
        char *p = NULL;
        ei_code_t rc = ei__ort_check(ei__ort->GetAllocatorWithDefaultOptions(&alloc), err);
        if (rc == EI_OK)
            rc = ei__ort_check(ei__ort->SessionEndProfiling(s->ort, alloc, &p), err);
        if (rc != EI_OK)
            return rc;
        s->profile_path = ei__strdup(p);
        ei__ort_check(ei__ort->AllocatorFree(alloc, p), NULL);
        if (s->profile_path == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    if (path != NULL)
        *path = s->profile_path;
    return EI_OK;
}

/* Input checks and Run ---------------------------------------------------------------------- */

static void name_list(const value_slot_t *slots, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s'%s'", i ? ", " : "", slots[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/*
 * Checks one given input against the model's declaration. Free dims (-1) accept anything; a model
 * input with no shape information accepts any rank.
 */
static ei_code_t check_one(const value_slot_t *decl, const ei_tensor_t *t, ei_error_t *err)
{
    char want[160], got[160];
    if (decl->pub.kind != EI_VALUE_TENSOR)
        return ei__fail(err, EI_EUNSUPPORTED,
                        "input '%s' is a %s; only tensor inputs are supported", decl->name,
                        decl->pub.kind == EI_VALUE_SEQUENCE   ? "sequence"
                        : decl->pub.kind == EI_VALUE_MAP      ? "map"
                        : decl->pub.kind == EI_VALUE_OPTIONAL ? "optional"
                                                              : "non-tensor value");
    if (ei_tensor_dtype(t) != decl->pub.dtype)
        return ei__fail(err, EI_EINVAL, "input '%s': expected element type %s, got %s", decl->name,
                        ei_dtype_name(decl->pub.dtype), ei_dtype_name(ei_tensor_dtype(t)));
    const int64_t *shape = ei_tensor_shape(t);
    size_t rank = ei_tensor_rank(t);
    /* The shapes are formatted only on failure: this runs on every ei_session_run(). */
    if (rank != decl->pub.rank) {
        ei_shape_format(decl->shape, decl->pub.rank, want, sizeof(want));
        ei_shape_format(shape, rank, got, sizeof(got));
        return ei__fail(err, EI_EINVAL, "input '%s': expected rank %zu %s, got rank %zu %s",
                        decl->name, decl->pub.rank, want, rank, got);
    }
    for (size_t d = 0; d < rank; d++) {
        if (decl->shape[d] >= 0 && decl->shape[d] != shape[d]) {
            ei_shape_format(decl->shape, decl->pub.rank, want, sizeof(want));
            ei_shape_format(shape, rank, got, sizeof(got));
            return ei__fail(err, EI_EINVAL,
                            "input '%s': expected shape %s, got %s (dim %zu must be %lld)",
                            decl->name, want, got, d, (long long)decl->shape[d]);
        }
    }
    return EI_OK;
}

/* An error naming the first declared input that input_names does not give. */
static ei_code_t all_given(const ei_session_t *s, const char *const *input_names, size_t n_inputs,
                           ei_error_t *err)
{
    for (size_t m = 0; m < s->n_in; m++) {
        bool given = false;
        for (size_t i = 0; i < n_inputs && !given; i++)
            given = strcmp(input_names[i], s->in[m].name) == 0;
        if (!given) {
            char names[400];
            name_list(s->in, s->n_in, names, sizeof(names));
            return ei__fail(err, EI_EINVAL, "missing input '%s' (the model's inputs: %s)",
                            s->in[m].name, names);
        }
    }
    return EI_OK;
}

/* The declared input that names[i] refers to, in *idx; an error when the model has no such input
 * or an earlier entry already named it. */
static ei_code_t find_input(const ei_session_t *s, const char *const *names, size_t i, int *idx,
                            ei_error_t *err)
{
    *idx = ei_session_input_index(s, names[i]);
    if (*idx < 0) {
        char list[400];
        name_list(s->in, s->n_in, list, sizeof(list));
        return ei__fail(err, EI_ENOTFOUND, "unknown input '%s' (the model's inputs: %s)", names[i],
                        list);
    }
    for (size_t j = 0; j < i; j++) {
        if (strcmp(names[j], names[i]) == 0)
            return ei__fail(err, EI_EINVAL, "input '%s' is given twice", names[i]);
    }
    return EI_OK;
}

ei_code_t ei_session_check_inputs(const ei_session_t *s, const char *const *input_names,
                                  ei_tensor_t *const *inputs, size_t n_inputs, ei_error_t *err)
{
    if (n_inputs > 0 && (input_names == NULL || inputs == NULL))
        return ei__fail(err, EI_EINVAL, "input names or tensors are NULL");
    for (size_t i = 0; i < n_inputs; i++) {
        if (input_names[i] == NULL || inputs[i] == NULL)
            return ei__fail(err, EI_EINVAL, "input %zu has no name or no tensor", i);
        int idx;
        ei_code_t rc = find_input(s, input_names, i, &idx, err);
        if (rc != EI_OK)
            return rc;
        rc = check_one(&s->in[idx], inputs[i], err);
        if (rc != EI_OK)
            return rc;
    }
    return all_given(s, input_names, n_inputs, err);
}

/* Case-insensitive substring search. */
static bool has_word(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    }
    return false;
}

/*
 * The code for a failed Run(). The inputs passed ei_session_check_inputs() (names, types, ranks,
 * fixed dims), so a kernel that rejects their shape (a zero-size image dimension, an audio chunk
 * shorter than a Pad, a Reshape that does not fit) is the caller's input the model cannot run:
 * EI_EINVAL. An allocation failure is EI_ENOMEM, a terminated run EI_ECANCELED, the rest
 * EI_ERUNTIME.
 */
static ei_code_t run_failure_code(const ei_session_t *s, ei_code_t rc, ei_error_t *err)
{
    const char *m = err != NULL ? err->msg : "";
    ei_code_t code = EI_ERUNTIME;
    if (atomic_load(&s->terminated)) {
        code = EI_ECANCELED;
    } else if (has_word(m, "Available memory of") && ei__env_run_memory_limit() > 0) {
        /* The shared arena refused to grow past the runtime's run-memory limit. */
        size_t limit = ei__env_run_memory_limit(), want = 0;
        const char *req = strstr(m, "requested bytes of ");
        if (req != NULL)
            want = (size_t)strtoull(req + strlen("requested bytes of "), NULL, 10);
        ei__env_run_memory_refused();
        if (want > limit)
            code = ei__fail(err, EI_ELIMIT,
                            "the run needs a block of %zu bytes, more than the whole run-memory "
                            "limit (%zu bytes)",
                            want, limit);
        else
            code = ei__fail(err, EI_ENOMEM,
                            "the run needs more memory than the run-memory limit leaves (limit "
                            "%zu bytes, shared by the models running; %zu more bytes were asked "
                            "for)",
                            limit, want);
    } else if (has_word(m, "Failed to allocate") || has_word(m, "bad_alloc") ||
               has_word(m, "bad allocation")) {
        code = EI_ENOMEM;
    } else if (has_word(m, "shape") || has_word(m, "exceeds") || has_word(m, "dimension") ||
               has_word(m, "out of range") || has_word(m, "out of bound")) {
        code = EI_EINVAL;
    }
    (void)rc;
    if (err != NULL)
        err->code = code;
    return code;
}

void ei_session_terminate(ei_session_t *s)
{
    if (s == NULL || s->run_opts == NULL)
        return;
    atomic_store(&s->terminated, true);
    (void)ei__ort_check(ei__ort->RunOptionsSetTerminate(s->run_opts), NULL);
    if (s->run_opts_shrink != NULL)
        (void)ei__ort_check(ei__ort->RunOptionsSetTerminate(s->run_opts_shrink), NULL);
}

/* Checks the requested output names (NULL: all, into exactly n_out slots); sets `*names`. */
static ei_code_t check_outputs(const ei_session_t *s, const char *const *output_names,
                               size_t n_outputs, const char *const **names, ei_error_t *err)
{
    if (output_names == NULL) {
        if (n_outputs != s->n_out)
            return ei__fail(err, EI_EINVAL,
                            "asked for all outputs into %zu slots; the model has %zu", n_outputs,
                            s->n_out);
        *names = s->out_names;
        return EI_OK;
    }
    for (size_t i = 0; i < n_outputs; i++) {
        if (ei_session_output_index(s, output_names[i]) < 0) {
            char names_buf[400];
            name_list(s->out, s->n_out, names_buf, sizeof(names_buf));
            return ei__fail(err, EI_ENOTFOUND, "unknown output '%s' (the model's outputs: %s)",
                            output_names[i] ? output_names[i] : "(null)", names_buf);
        }
    }
    *names = output_names;
    return EI_OK;
}

/*
 * What a run does once inputs are checked and converted: ORT's Run, with its errors mapped.
 * `out_vals` is zeroed first; on failure every value ORT made is released.
 */
static ei_code_t run_ort(ei_session_t *s, const char *const *input_names, OrtValue **in_vals,
                         size_t n_inputs, const char *const *output_names, OrtValue **out_vals,
                         size_t n_outputs, ei_error_t *err)
{
    memset(out_vals, 0, n_outputs * sizeof(*out_vals));
    OrtRunOptions *ro = s->run_opts;
    if (s->run_opts_shrink != NULL && ei__env_run_memory_take_shrink())
        ro = s->run_opts_shrink;
    ei_code_t rc =
        ei__ort_check(ei__ort->Run(s->ort, ro, input_names, (const OrtValue *const *)in_vals,
                                   n_inputs, output_names, n_outputs, out_vals),
                      err);
    if (rc != EI_OK) {
        rc = run_failure_code(s, rc, err);
        ei__error_prefix(err, "running the model");
        for (size_t i = 0; i < n_outputs; i++) {
            if (out_vals[i] != NULL)
                ei__ort->ReleaseValue(out_vals[i]);
            out_vals[i] = NULL;
        }
    }
    return rc;
}

ei_code_t ei_session_run(ei_session_t *s, const char *const *input_names,
                         ei_tensor_t *const *inputs, size_t n_inputs,
                         const char *const *output_names, ei_tensor_t **outputs, size_t n_outputs,
                         ei_error_t *err)
{
    OrtValue *in_stack[16], *out_stack[16];
    bool borrowed_stack[16];
    OrtValue **in_vals = in_stack, **out_vals = out_stack;
    bool *borrowed = borrowed_stack;
    ei_code_t rc;
    size_t made = 0;

    if (outputs == NULL && n_outputs > 0)
        return ei__fail(err, EI_EINVAL, "outputs array is NULL");
    for (size_t i = 0; i < n_outputs; i++)
        outputs[i] = NULL;
    rc = ei_session_check_inputs(s, input_names, inputs, n_inputs, err);
    if (rc == EI_OK)
        rc = check_outputs(s, output_names, n_outputs, &output_names, err);
    if (rc != EI_OK)
        return rc;
    for (size_t i = 0; i < n_outputs; i++) {
        const ei_value_info_t *vi = &s->out[ei_session_output_index(s, output_names[i])].pub;
        if (vi->kind != EI_VALUE_TENSOR)
            return ei__fail(err, EI_EUNSUPPORTED,
                            "output '%s' is a %s; ei_session_run() returns tensors only (use "
                            "ei_session_run_values())",
                            output_names[i], ei_value_kind_name(vi->kind));
    }
    if (n_inputs > 16) {
        in_vals = ei__calloc(n_inputs, sizeof(*in_vals));
        borrowed = ei__calloc(n_inputs, sizeof(*borrowed));
    }
    if (n_outputs > 16)
        out_vals = ei__calloc(n_outputs, sizeof(*out_vals));
    if (in_vals == NULL || borrowed == NULL || out_vals == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
        goto out;
    }
    for (; made < n_inputs; made++) {
        rc = ei__tensor_to_ort(inputs[made], &in_vals[made], &borrowed[made], err);
        if (rc != EI_OK) {
            ei__error_prefix(err, "input '%s'", input_names[made]);
            goto out;
        }
    }
    rc = run_ort(s, input_names, in_vals, n_inputs, output_names, out_vals, n_outputs, err);
    if (rc != EI_OK)
        goto out;
    for (size_t i = 0; i < n_outputs; i++) {
        if (rc == EI_OK) {
            rc = ei__tensor_from_ort(out_vals[i], &outputs[i], err);
            if (rc != EI_OK) {
                ei__error_prefix(err, "output '%s'", output_names[i]);
                ei__ort->ReleaseValue(out_vals[i]);
            }
        } else {
            ei__ort->ReleaseValue(out_vals[i]);
        }
    }
    if (rc != EI_OK) {
        for (size_t i = 0; i < n_outputs; i++) {
            ei_tensor_destroy(outputs[i]);
            outputs[i] = NULL;
        }
    }
out:
    for (size_t i = 0; i < made; i++) {
        if (!borrowed[i])
            ei__ort->ReleaseValue(in_vals[i]);
    }
    if (in_vals != in_stack)
        ei__free(in_vals);
    if (borrowed != borrowed_stack)
        ei__free(borrowed);
    if (out_vals != out_stack)
        ei__free(out_vals);
    return rc;
}

/* Checks the tensors inside a sequence against the declared element type. */
static ei_code_t check_elements(const value_slot_t *decl, const ei_value_t *v, ei_error_t *err)
{
    if (ei_value_elem_kind(v) != decl->pub.elem_kind)
        return ei__fail(
            err, EI_EINVAL, "input '%s': expected a %s of %ss, got a %s of %ss", decl->name,
            ei_value_kind_name(decl->pub.kind), ei_value_kind_name(decl->pub.elem_kind),
            ei_value_kind_name(ei_value_kind(v)), ei_value_kind_name(ei_value_elem_kind(v)));
    if (decl->pub.dtype == EI_DTYPE_UNDEFINED)
        return EI_OK;
    for (size_t i = 0; i < ei_value_count(v); i++) {
        const ei_value_t *e = ei_value_element(v, i);
        if (ei_value_elem_dtype(e) != decl->pub.dtype)
            return ei__fail(err, EI_EINVAL,
                            "input '%s': element %zu has element type %s, expected %s", decl->name,
                            i, ei_dtype_name(ei_value_elem_dtype(e)),
                            ei_dtype_name(decl->pub.dtype));
    }
    return EI_OK;
}

/*
 * Checks one value against the model's declaration of an input. Inside an optional only element
 * types are checked, not shapes, as ONNX Runtime does (backend test models declare a scalar and
 * feed a vector there).
 */
static ei_code_t check_value(const value_slot_t *decl, const ei_value_t *v, bool in_optional,
                             ei_error_t *err)
{
    ei_value_kind_t want = decl->pub.kind, got = ei_value_kind(v);
    if (want == EI_VALUE_OPTIONAL && got != EI_VALUE_OPTIONAL) {
        /* A plain value of the kind the optional holds is fed as a present optional. */
        if (got != decl->pub.elem_kind)
            return ei__fail(err, EI_EINVAL, "input '%s': expected an optional %s, got a %s",
                            decl->name, ei_value_kind_name(decl->pub.elem_kind),
                            ei_value_kind_name(got));
        value_slot_t inner = *decl;
        inner.pub.kind = decl->pub.elem_kind;
        inner.pub.elem_kind = EI_VALUE_TENSOR;
        return check_value(&inner, v, true, err);
    }
    if (want != got)
        return ei__fail(err, EI_EINVAL, "input '%s': expected a %s, got a %s", decl->name,
                        ei_value_kind_name(want), ei_value_kind_name(got));
    switch (want) {
    case EI_VALUE_TENSOR:
        if (in_optional) {
            ei_dtype_t dt = ei_tensor_dtype(ei_value_tensor(v));
            if (decl->pub.dtype != EI_DTYPE_UNDEFINED && dt != decl->pub.dtype)
                return ei__fail(err, EI_EINVAL, "input '%s': expected element type %s, got %s",
                                decl->name, ei_dtype_name(decl->pub.dtype), ei_dtype_name(dt));
            return EI_OK;
        }
        return check_one(decl, ei_value_tensor(v), err);
    case EI_VALUE_SEQUENCE:
        return check_elements(decl, v, err);
    case EI_VALUE_MAP: {
        ei_dtype_t kt = ei_tensor_dtype(ei_value_map_keys(v));
        ei_dtype_t vt = ei_tensor_dtype(ei_value_map_values(v));
        if ((decl->pub.key_dtype != EI_DTYPE_UNDEFINED && kt != decl->pub.key_dtype) ||
            (decl->pub.dtype != EI_DTYPE_UNDEFINED && vt != decl->pub.dtype))
            return ei__fail(err, EI_EINVAL, "input '%s': expected a map(%s, %s), got map(%s, %s)",
                            decl->name, ei_dtype_name(decl->pub.key_dtype),
                            ei_dtype_name(decl->pub.dtype), ei_dtype_name(kt), ei_dtype_name(vt));
        return EI_OK;
    }
    case EI_VALUE_OPTIONAL: {
        /* A None read from a file whose elem_type is UNDEFINED does not know what it would hold. */
        if (ei_value_count(v) == 0 && ei_value_elem_dtype(v) == EI_DTYPE_UNDEFINED)
            return EI_OK;
        if (ei_value_elem_kind(v) != decl->pub.elem_kind)
            return ei__fail(err, EI_EINVAL,
                            "input '%s': expected an optional %s, got an optional %s", decl->name,
                            ei_value_kind_name(decl->pub.elem_kind),
                            ei_value_kind_name(ei_value_elem_kind(v)));
        const ei_value_t *inner_v = ei_value_element(v, 0);
        if (inner_v == NULL)
            return EI_OK; /* None: refused when converted, with the reason */
        value_slot_t inner = *decl;
        inner.pub.kind = decl->pub.elem_kind;
        inner.pub.elem_kind = EI_VALUE_TENSOR;
        return check_value(&inner, inner_v, true, err);
    }
    default:
        return ei__fail(err, EI_EUNSUPPORTED, "input '%s' is a %s, which edgeinfer cannot feed",
                        decl->name, ei_value_kind_name(want));
    }
}

static ei_code_t check_values(const ei_session_t *s, const char *const *input_names,
                              ei_value_t *const *inputs, size_t n_inputs, ei_error_t *err)
{
    if (n_inputs > 0 && (input_names == NULL || inputs == NULL))
        return ei__fail(err, EI_EINVAL, "input names or values are NULL");
    for (size_t i = 0; i < n_inputs; i++) {
        if (input_names[i] == NULL || inputs[i] == NULL)
            return ei__fail(err, EI_EINVAL, "input %zu has no name or no value", i);
        int idx;
        ei_code_t rc = find_input(s, input_names, i, &idx, err);
        if (rc != EI_OK)
            return rc;
        rc = check_value(&s->in[idx], inputs[i], false, err);
        if (rc != EI_OK)
            return rc;
    }
    return all_given(s, input_names, n_inputs, err);
}

ei_code_t ei_session_run_values(ei_session_t *s, const char *const *input_names,
                                ei_value_t *const *inputs, size_t n_inputs,
                                const char *const *output_names, ei_value_t **outputs,
                                size_t n_outputs, ei_error_t *err)
{
    OrtValue **in_vals = NULL, **out_vals = NULL;
    bool *borrowed = NULL;
    size_t made = 0;
    if (outputs == NULL && n_outputs > 0)
        return ei__fail(err, EI_EINVAL, "outputs array is NULL");
    for (size_t i = 0; i < n_outputs; i++)
        outputs[i] = NULL;
    ei_code_t rc = check_values(s, input_names, inputs, n_inputs, err);
    if (rc == EI_OK)
        rc = check_outputs(s, output_names, n_outputs, &output_names, err);
    if (rc != EI_OK)
        return rc;
    in_vals = ei__calloc(n_inputs ? n_inputs : 1, sizeof(*in_vals));
    borrowed = ei__calloc(n_inputs ? n_inputs : 1, sizeof(*borrowed));
    out_vals = ei__calloc(n_outputs ? n_outputs : 1, sizeof(*out_vals));
    if (in_vals == NULL || borrowed == NULL || out_vals == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
        goto out;
    }
    for (; made < n_inputs; made++) {
        rc =
            ei__value_to_ort(inputs[made], &s->in[ei_session_input_index(s, input_names[made])].pub,
                             &in_vals[made], &borrowed[made], err);
        if (rc != EI_OK) {
            ei__error_prefix(err, "input '%s'", input_names[made]);
            goto out;
        }
    }
    rc = run_ort(s, input_names, in_vals, n_inputs, output_names, out_vals, n_outputs, err);
    if (rc != EI_OK)
        goto out;
    for (size_t i = 0; i < n_outputs; i++) {
        if (rc != EI_OK) {
            ei__ort->ReleaseValue(out_vals[i]);
            continue;
        }
        const ei_value_info_t *decl = &s->out[ei_session_output_index(s, output_names[i])].pub;
        rc = ei__value_from_ort(out_vals[i], decl, &outputs[i], err);
        if (rc != EI_OK)
            ei__error_prefix(err, "output '%s'", output_names[i]);
    }
    if (rc != EI_OK) {
        for (size_t i = 0; i < n_outputs; i++) {
            ei_value_destroy(outputs[i]);
            outputs[i] = NULL;
        }
    }
out:
    for (size_t i = 0; in_vals != NULL && borrowed != NULL && i < made; i++) {
        if (!borrowed[i])
            ei__ort->ReleaseValue(in_vals[i]);
    }
    ei__free(in_vals);
    ei__free(borrowed);
    ei__free(out_vals);
    return rc;
}
