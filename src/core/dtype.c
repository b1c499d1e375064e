/* SPDX-License-Identifier: MIT */
/*
 * Element types: names, sizes, and the float16/bfloat16/float8 conversions.
 */
#include "core_internal.h"

#include <math.h>
#include <string.h>

static const struct {
    const char *name;
    size_t size;
} dtypes[EI__DTYPE_COUNT] = {
    [EI_DTYPE_UNDEFINED] = {"undefined", 0},
    [EI_DTYPE_FLOAT32] = {"float32", 4},
    [EI_DTYPE_UINT8] = {"uint8", 1},
    [EI_DTYPE_INT8] = {"int8", 1},
    [EI_DTYPE_UINT16] = {"uint16", 2},
    [EI_DTYPE_INT16] = {"int16", 2},
    [EI_DTYPE_INT32] = {"int32", 4},
    [EI_DTYPE_INT64] = {"int64", 8},
    [EI_DTYPE_STRING] = {"string", 0},
    [EI_DTYPE_BOOL] = {"bool", 1},
    [EI_DTYPE_FLOAT16] = {"float16", 2},
    [EI_DTYPE_FLOAT64] = {"float64", 8},
    [EI_DTYPE_UINT32] = {"uint32", 4},
    [EI_DTYPE_UINT64] = {"uint64", 8},
    [EI_DTYPE_COMPLEX64] = {"complex64", 8},
    [EI_DTYPE_COMPLEX128] = {"complex128", 16},
    [EI_DTYPE_BFLOAT16] = {"bfloat16", 2},
    [EI_DTYPE_FLOAT8E4M3FN] = {"float8e4m3fn", 1},
    [EI_DTYPE_FLOAT8E4M3FNUZ] = {"float8e4m3fnuz", 1},
    [EI_DTYPE_FLOAT8E5M2] = {"float8e5m2", 1},
    [EI_DTYPE_FLOAT8E5M2FNUZ] = {"float8e5m2fnuz", 1},
    [EI_DTYPE_UINT4] = {"uint4", 0},
    [EI_DTYPE_INT4] = {"int4", 0},
};

const char *ei_dtype_name(ei_dtype_t t)
{
    if ((unsigned)t >= EI__DTYPE_COUNT)
        return "undefined";
    return dtypes[t].name;
}

ei_dtype_t ei_dtype_parse(const char *name)
{
    if (name == NULL)
        return EI_DTYPE_UNDEFINED;
    for (unsigned i = 1; i < EI__DTYPE_COUNT; i++) {
        if (strcmp(name, dtypes[i].name) == 0)
            return (ei_dtype_t)i;
    }
    if (strcmp(name, "float") == 0)
        return EI_DTYPE_FLOAT32;
    if (strcmp(name, "double") == 0)
        return EI_DTYPE_FLOAT64;
    if (strcmp(name, "half") == 0)
        return EI_DTYPE_FLOAT16;
    return EI_DTYPE_UNDEFINED;
}

size_t ei_dtype_size(ei_dtype_t t)
{
    if ((unsigned)t >= EI__DTYPE_COUNT)
        return 0;
    return dtypes[t].size;
}

size_t ei_dtype_nbytes(ei_dtype_t t, size_t count)
{
    if (t == EI_DTYPE_UINT4 || t == EI_DTYPE_INT4)
        return count / 2 + (count & 1);
    size_t n;
    if (ei__mul_overflow(count, ei_dtype_size(t), &n))
        return SIZE_MAX;
    return n;
}

bool ei_dtype_valid(ei_dtype_t t)
{
    /* ONNX Runtime has no complex tensors. */
    return t > EI_DTYPE_UNDEFINED && t < EI__DTYPE_COUNT && t != EI_DTYPE_COMPLEX64 &&
           t != EI_DTYPE_COMPLEX128;
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float ei_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    if (exp == 0x1f)
        return bits_f32(sign | 0x7f800000u | (man << 13));
    if (exp == 0) {
        if (man == 0)
            return bits_f32(sign);
        /* Subnormal: value = man * 2^-24. */
        float v = (float)man * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    return bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t ei_f32_to_f16(float f)
{
    uint32_t u = f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t abs = u & 0x7fffffffu;
    if (abs >= 0x7f800000u) /* Inf or NaN */
        return (uint16_t)(sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0));
    if (abs >= 0x477ff000u) /* rounds to >= 65520: overflow to Inf */
        return (uint16_t)(sign | 0x7c00);
    if (abs < 0x38800000u) {
        /* Subnormal half (or zero): round to nearest even on the 2^-24 grid. */
        float a = bits_f32(abs);
        float scaled = a * 16777216.0f; /* 2^24 */
        float r = nearbyintf(scaled);   /* current rounding mode: nearest even */
        return (uint16_t)(sign | (uint16_t)r);
    }
    /* Normal: rebias the exponent and round the 13 dropped mantissa bits to nearest even. */
    uint32_t mant_lsb = (abs >> 13) & 1u;
    abs += 0xfffu + mant_lsb;
    return (uint16_t)(sign | (uint16_t)((abs - 0x38000000u) >> 13));
}

float ei_bf16_to_f32(uint16_t h)
{
    return bits_f32((uint32_t)h << 16);
}

uint16_t ei_f32_to_bf16(float f)
{
    uint32_t u = f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

/* Decodes an 8-bit float with `mbits` mantissa bits and exponent bias `bias`. */
static double f8_to_f64(uint8_t v, int mbits, int bias, bool fnuz, bool e4m3fn)
{
    int ebits = 7 - mbits;
    int sign = v >> 7;
    int exp = (v >> mbits) & ((1 << ebits) - 1);
    int man = v & ((1 << mbits) - 1);
    if (fnuz && v == 0x80)
        return NAN;
    if (e4m3fn && (v & 0x7f) == 0x7f)
        return NAN;
    if (!fnuz && !e4m3fn && exp == (1 << ebits) - 1)
        return man ? NAN : (sign ? -INFINITY : INFINITY);
    double r;
    if (exp == 0)
        r = ldexp((double)man, 1 - bias - mbits);
    else
        r = ldexp((double)(man | (1 << mbits)), exp - bias - mbits);
    return sign ? -r : r;
}

double ei__dtype_read_f64(ei_dtype_t t, const void *data, size_t i)
{
    const unsigned char *p = data;
    switch (t) {
    case EI_DTYPE_FLOAT32: {
        float v;
        memcpy(&v, p + i * 4, 4);
        return v;
    }
    case EI_DTYPE_FLOAT64: {
        double v;
        memcpy(&v, p + i * 8, 8);
        return v;
    }
    case EI_DTYPE_FLOAT16:
    case EI_DTYPE_BFLOAT16: {
        uint16_t v;
        memcpy(&v, p + i * 2, 2);
        return t == EI_DTYPE_FLOAT16 ? ei_f16_to_f32(v) : ei_bf16_to_f32(v);
    }
    case EI_DTYPE_UINT8:
    case EI_DTYPE_BOOL:
        return p[i];
    case EI_DTYPE_INT8:
        return (int8_t)p[i];
    case EI_DTYPE_UINT16: {
        uint16_t v;
        memcpy(&v, p + i * 2, 2);
        return v;
    }
    case EI_DTYPE_INT16: {
        int16_t v;
        memcpy(&v, p + i * 2, 2);
        return v;
    }
    case EI_DTYPE_INT32: {
        int32_t v;
        memcpy(&v, p + i * 4, 4);
        return v;
    }
    case EI_DTYPE_UINT32: {
        uint32_t v;
        memcpy(&v, p + i * 4, 4);
        return v;
    }
    case EI_DTYPE_INT64: {
        int64_t v;
        memcpy(&v, p + i * 8, 8);
        return (double)v;
    }
    case EI_DTYPE_UINT64: {
        uint64_t v;
        memcpy(&v, p + i * 8, 8);
        return (double)v;
    }
    case EI_DTYPE_FLOAT8E4M3FN:
        return f8_to_f64(p[i], 3, 7, false, true);
    case EI_DTYPE_FLOAT8E4M3FNUZ:
        return f8_to_f64(p[i], 3, 8, true, false);
    case EI_DTYPE_FLOAT8E5M2:
        return f8_to_f64(p[i], 2, 15, false, false);
    case EI_DTYPE_FLOAT8E5M2FNUZ:
        return f8_to_f64(p[i], 2, 16, true, false);
    case EI_DTYPE_UINT4:
    case EI_DTYPE_INT4: {
        unsigned nib = (p[i / 2] >> ((i & 1) * 4)) & 0xfu;
        if (t == EI_DTYPE_INT4 && nib >= 8)
            return (double)nib - 16.0;
        return nib;
    }
    default:
        return 0;
    }
}
