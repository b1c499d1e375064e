/* SPDX-License-Identifier: MIT */
/*
 * A small ONNX Runtime custom-op library for edgeinfer's tests, written against ORT's custom-op C
 * API (onnxruntime_c_api.h): domain "ei.test", op "ScaleShift" computing y = x * scale + shift
 * elementwise, with two int attributes (`scale` required, `shift` defaulting to 0), registered for
 * float and int64 inputs. A model missing `scale` fails to load with this library's own message.
 *
 * Built with -DEI_TEST_OPS_BROKEN it exports no RegisterCustomOps, to test how a library that is
 * not a custom-op library is reported.
 */
#include <onnxruntime_c_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef EI_TEST_OPS_BROKEN
/* Something to export, so the library loads but lacks the entry point. */
__attribute__((visibility("default"))) int ei_test_ops_not_a_custom_op_library(void);
int ei_test_ops_not_a_custom_op_library(void)
{
    return 42;
}
#else

static const OrtApi *api;

typedef struct {
    int64_t scale, shift;
    ONNXTensorElementDataType type;
} kernel_t;

typedef struct {
    OrtCustomOp base; /* first: ORT hands the OrtCustomOp pointer back to every callback */
    ONNXTensorElementDataType type;
} typed_op_t;

static ONNXTensorElementDataType op_type(const OrtCustomOp *op)
{
    return ((const typed_op_t *)op)->type;
}

static OrtStatus *ORT_API_CALL create_kernel_v2(const OrtCustomOp *op, const OrtApi *a,
                                                const OrtKernelInfo *info, void **kernel)
{
    int64_t scale = 0, shift = 0;
    *kernel = NULL;
    OrtStatus *st = a->KernelInfoGetAttribute_int64(info, "scale", &scale);
    if (st != NULL) {
        a->ReleaseStatus(st);
        return a->CreateStatus(ORT_INVALID_ARGUMENT, "ScaleShift needs the int attribute 'scale'");
    }
    st = a->KernelInfoGetAttribute_int64(info, "shift", &shift);
    if (st != NULL) {
        a->ReleaseStatus(st); /* optional */
        shift = 0;
    }
    kernel_t *k = malloc(sizeof(*k));
    if (k == NULL)
        return a->CreateStatus(ORT_FAIL, "ScaleShift: out of memory");
    k->scale = scale;
    k->shift = shift;
    k->type = op_type(op);
    *kernel = k;
    return NULL;
}

static OrtStatus *ORT_API_CALL compute_v2(void *kernel, OrtKernelContext *ctx)
{
    const kernel_t *k = kernel;
    const OrtValue *in = NULL;
    OrtValue *out = NULL;
    OrtTensorTypeAndShapeInfo *info = NULL;
    size_t rank = 0, count = 0;
    int64_t dims[16];
    OrtStatus *st = api->KernelContext_GetInput(ctx, 0, &in);
    if (st == NULL)
        st = api->GetTensorTypeAndShape(in, &info);
    if (st == NULL)
        st = api->GetDimensionsCount(info, &rank);
    if (st == NULL && rank > 16)
        st = api->CreateStatus(ORT_INVALID_ARGUMENT, "ScaleShift: rank over 16");
    if (st == NULL)
        st = api->GetDimensions(info, dims, rank);
    if (st == NULL)
        st = api->GetTensorShapeElementCount(info, &count);
    if (info != NULL)
        api->ReleaseTensorTypeAndShapeInfo(info);
    if (st == NULL)
        st = api->KernelContext_GetOutput(ctx, 0, dims, rank, &out);
    const void *src = NULL;
    void *dst = NULL;
    if (st == NULL && count > 0)
        st = api->GetTensorData(in, &src);
    if (st == NULL && count > 0)
        st = api->GetTensorMutableData(out, &dst);
    if (st != NULL)
        return st;
    if (k->type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
        const float *x = src;
        float *y = dst;
        for (size_t i = 0; i < count; i++)
            y[i] = x[i] * (float)k->scale + (float)k->shift;
    } else {
        const int64_t *x = src;
        int64_t *y = dst;
        for (size_t i = 0; i < count; i++)
            y[i] = x[i] * k->scale + k->shift;
    }
    return NULL;
}

/* The version-1 entry points, for an ORT that ignores the V2 ones. */
static void *ORT_API_CALL create_kernel(const OrtCustomOp *op, const OrtApi *a,
                                        const OrtKernelInfo *info)
{
    void *k = NULL;
    OrtStatus *st = create_kernel_v2(op, a, info, &k);
    if (st != NULL)
        a->ReleaseStatus(st);
    return k;
}

static void ORT_API_CALL compute(void *kernel, OrtKernelContext *ctx)
{
    OrtStatus *st = compute_v2(kernel, ctx);
    if (st != NULL)
        api->ReleaseStatus(st);
}

static void ORT_API_CALL destroy_kernel(void *kernel)
{
    free(kernel);
}

static const char *ORT_API_CALL get_name(const OrtCustomOp *op)
{
    (void)op;
    return "ScaleShift";
}

static const char *ORT_API_CALL get_provider(const OrtCustomOp *op)
{
    (void)op;
    return "CPUExecutionProvider";
}

static ONNXTensorElementDataType ORT_API_CALL get_type(const OrtCustomOp *op, size_t i)
{
    (void)i;
    return op_type(op);
}

static size_t ORT_API_CALL one(const OrtCustomOp *op)
{
    (void)op;
    return 1;
}

static OrtCustomOpInputOutputCharacteristic ORT_API_CALL required(const OrtCustomOp *op, size_t i)
{
    (void)op, (void)i;
    return INPUT_OUTPUT_REQUIRED;
}

static OrtMemType ORT_API_CALL mem_type(const OrtCustomOp *op, size_t i)
{
    (void)op, (void)i;
    return OrtMemTypeDefault;
}

static int ORT_API_CALL int_one(const OrtCustomOp *op)
{
    (void)op;
    return 1;
}

static int ORT_API_CALL end_version(const OrtCustomOp *op)
{
    (void)op;
    return 0x7fffffff;
}

static size_t ORT_API_CALL no_pairs(int **in, int **out)
{
    *in = NULL;
    *out = NULL;
    return 0;
}

static void ORT_API_CALL release_pairs(int *in, int *out)
{
    (void)in, (void)out;
}

static void init_op(typed_op_t *op, ONNXTensorElementDataType type)
{
    OrtCustomOp *o = &op->base;
    o->version = ORT_API_VERSION;
    o->CreateKernel = create_kernel;
    o->GetName = get_name;
    o->GetExecutionProviderType = get_provider;
    o->GetInputType = get_type;
    o->GetInputTypeCount = one;
    o->GetOutputType = get_type;
    o->GetOutputTypeCount = one;
    o->KernelCompute = compute;
    o->KernelDestroy = destroy_kernel;
    o->GetInputCharacteristic = required;
    o->GetOutputCharacteristic = required;
    o->GetInputMemoryType = mem_type;
    o->GetVariadicInputMinArity = int_one;
    o->GetVariadicInputHomogeneity = int_one;
    o->GetVariadicOutputMinArity = int_one;
    o->GetVariadicOutputHomogeneity = int_one;
    o->CreateKernelV2 = create_kernel_v2;
    o->KernelComputeV2 = compute_v2;
    o->InferOutputShapeFn = NULL;
    o->GetStartVersion = int_one;
    o->GetEndVersion = end_version;
    o->GetMayInplace = no_pairs;
    o->ReleaseMayInplace = release_pairs;
    o->GetAliasMap = no_pairs;
    o->ReleaseAliasMap = release_pairs;
    op->type = type;
}

/* One domain for the process, shared by every session (ORT does not take ownership of it). */
static typed_op_t op_float, op_int64;
static OrtCustomOpDomain *domain;
static OrtStatus *init_status;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_domain(void)
{
    init_op(&op_float, ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT);
    init_op(&op_int64, ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64);
    init_status = api->CreateCustomOpDomain("ei.test", &domain);
    if (init_status == NULL)
        init_status = api->CustomOpDomain_Add(domain, &op_float.base);
    if (init_status == NULL)
        init_status = api->CustomOpDomain_Add(domain, &op_int64.base);
}

__attribute__((destructor)) static void release_domain(void)
{
    if (domain != NULL && api != NULL)
        api->ReleaseCustomOpDomain(domain);
    domain = NULL;
}

/* The entry point ORT looks up after dlopen(). */
__attribute__((visibility("default"))) OrtStatus *ORT_API_CALL
RegisterCustomOps(OrtSessionOptions *options, const OrtApiBase *base);
OrtStatus *ORT_API_CALL RegisterCustomOps(OrtSessionOptions *options, const OrtApiBase *base)
{
    api = base->GetApi(ORT_API_VERSION);
    if (api == NULL)
        return NULL; /* cannot even report it */
    pthread_once(&once, init_domain);
    if (init_status != NULL)
        return api->CreateStatus(api->GetErrorCode(init_status), api->GetErrorMessage(init_status));
    return api->AddCustomOpDomain(options, domain);
}
#endif
