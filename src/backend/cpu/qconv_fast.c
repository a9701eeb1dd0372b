/* INT8 on the CPU: the convolution's weight packing, padded input copy and
 * threaded driver, and the threaded QuantizeLinear. The SIMD kernels are in
 * qconv_x86.c. */
#include "backend/cpu/qconv_fast.h"

#include <string.h>

#include "backend/cpu/epilogue.h"
#include "common/common.h"
#include "ops/op.h"

/* Slack after the padded planes: a 64-byte load for the last 16 pixels of
 * a row may run past its end (those bytes only feed discarded lanes or
 * zero-weight taps). */
static size_t tail_slack(const gl_cpu_qconv *q) {
    const gl_conv_geom *g = &q->g;
    return gl_align_up((size_t)(g->out[1] * g->stride[1] + q->kw4 * g->dilation[1] + 64 +
                                q->rows_per_vec * g->stride[0] * q->wp),
                       64);
}

/* How many whole output rows one 16-lane vector holds: every lane's 4 taps
 * must come from one 64-byte load. */
static int64_t rows_per_vector(const gl_conv_geom *g, int64_t wp) {
    const int64_t wo = g->out[1];
    if (wo > 8) return 1;
    int64_t k = 16 / wo;
    while (k > 1 && (k - 1) * g->stride[0] * wp + (wo - 1) * g->stride[1] + 3 * g->dilation[1] > 63)
        k--;
    return k;
}

static int64_t kw4_of(const gl_conv_geom *g) { return (g->k[1] + 3) / 4 * 4; }

static int mr_of(const gl_conv_geom *g) { return g->c_out <= 4 ? 1 : GL_QCONV_MR; }

static int64_t m_blocks(const gl_conv_geom *g) { return (g->c_out + mr_of(g) - 1) / mr_of(g); }

bool gl_cpu_qconv_available(void) { return gl_qconv_avx512_supported(); }

bool gl_cpu_qconv_supported(const gl_conv_geom *g) {
    if (g->spatial != 2 || g->group != 1 || g->n < 1 || g->c_in < 1 || g->c_out < 1) return false;
    for (int i = 0; i < 2; i++)
        if (g->k[i] < 1 || g->stride[i] < 1 || g->dilation[i] < 1 || g->out[i] < 1 ||
            g->pad_begin[i] < 0 || g->in[i] < 1)
            return false;
    /* 16 pixels × 4 taps from one 64-byte load */
    if (15 * g->stride[1] + 3 * g->dilation[1] > 63) return false;
    /* keep the padded plane and the buffer offsets far from overflow */
    int64_t hp = (g->out[0] - 1) * g->stride[0] + (g->k[0] - 1) * g->dilation[0] + 1;
    int64_t wp = (g->out[1] - 1) * g->stride[1] + (g->k[1] - 1) * g->dilation[1] + 1;
    return hp < (1 << 20) && wp < (1 << 20) && g->c_in < (1 << 20) && g->c_out < (1 << 20);
}

size_t gl_cpu_qconv_packed_bytes(const gl_conv_geom *g) {
    size_t tiles = (size_t)(m_blocks(g) * g->c_in * g->k[0] * kw4_of(g)) * (size_t)mr_of(g);
    return gl_align_up(tiles, 64) + (size_t)g->c_out * sizeof(int32_t);
}

void gl_cpu_qconv_pack_weights(const gl_conv_geom *g, const int8_t *w, void *dst) {
    const int64_t C = g->c_in, KH = g->k[0], KW = g->k[1], KW4 = kw4_of(g);
    const int64_t MB = m_blocks(g), mr = mr_of(g);
    int8_t *out = dst;
    size_t tiles = (size_t)(MB * C * KH * KW4 * mr);
    int32_t *sum = (int32_t *)((uint8_t *)dst + gl_align_up(tiles, 64));
    memset(out, 0, tiles);
    for (int64_t m = 0; m < g->c_out; m++) {
        int32_t s = 0;
        const int64_t mb = m / mr, r = m % mr;
        for (int64_t c = 0; c < C; c++)
            for (int64_t ky = 0; ky < KH; ky++)
                for (int64_t kx = 0; kx < KW; kx++) {
                    const int8_t v = w[((m * C + c) * KH + ky) * KW + kx];
                    const int64_t group = ((mb * C + c) * KH + ky) * (KW4 / 4) + kx / 4;
                    out[(group * mr + r) * 4 + kx % 4] = v;
                    s += v;
                }
        sum[m] = s;
    }
}

void gl_cpu_qconv_init(gl_cpu_qconv *q, const gl_conv_geom *g, const gl_qconv_params *p,
                       bool x_unsigned, const void *packed) {
    memset(q, 0, sizeof *q);
    q->p = p;
    q->g = *g;
    q->x_unsigned = x_unsigned;
    q->pad_value = (uint8_t)(p->x_zero_point + (x_unsigned ? 0 : 128));
    q->kw4 = kw4_of(g);
    q->hp = (g->out[0] - 1) * g->stride[0] + (g->k[0] - 1) * g->dilation[0] + 1;
    q->wp = (g->out[1] - 1) * g->stride[1] + (g->k[1] - 1) * g->dilation[1] + 1;
    q->plane_bytes = (size_t)(q->hp * q->wp);
    q->epi_in_registers = gl_cpu_epi_in_registers(&p->fc);
    q->mr = mr_of(g);
    q->packed_w = packed;
    size_t tiles = (size_t)(m_blocks(g) * g->c_in * g->k[0] * q->kw4 * q->mr);
    q->w_sum = (const int32_t *)((const uint8_t *)packed + gl_align_up(tiles, 64));
    q->rows_per_vec = rows_per_vector(g, q->wp);
    for (int j = 0; j < 16; j++) {
        const int64_t r = q->rows_per_vec > 1 ? j / g->out[1] : 0;
        const int64_t c = q->rows_per_vec > 1 ? j % g->out[1] : j;
        /* lanes past the last row read row r's bytes too: discarded */
        const int64_t rr = GL_MIN(r, q->rows_per_vec - 1);
        for (int t = 0; t < 4; t++)
            q->perm[4 * j + t] = (uint8_t)(rr * g->stride[0] * q->wp + c * g->stride[1] +
                                           t * g->dilation[1]);
    }
}

static size_t input_bytes(const gl_cpu_qconv *q) {
    return gl_align_up((size_t)(q->g.n * q->g.c_in) * q->plane_bytes + tail_slack(q), 64);
}

size_t gl_cpu_qconv_buffer_bytes(const gl_cpu_qconv *q) {
    return input_bytes(q) + gl_align_up((size_t)q->g.c_out * sizeof(float), 64);
}

typedef struct qconv_job {
    const gl_cpu_qconv *q;
    const uint8_t *x;           /* the step's input codes */
    uint8_t *xp;                /* padded copy */
    gl_qconv_row_args row;      /* xp, y and n set per sample */
    size_t y_sample_bytes;
} qconv_job;

/* Copies input plane i (sample × channel) into its padded place. The
 * padded plane covers exactly the rows and columns the taps read; cells
 * outside the input hold the zero point, so padding adds nothing. */
static void pad_planes(void *arg, int64_t begin, int64_t end, int tid) {
    (void)tid;
    const qconv_job *j = arg;
    const gl_cpu_qconv *q = j->q;
    const int64_t H = q->g.in[0], W = q->g.in[1];
    const int64_t top = q->g.pad_begin[0], left = q->g.pad_begin[1];
    const uint8_t flip = q->x_unsigned ? 0 : 0x80; /* int8 + 128 as a byte */
    for (int64_t i = begin; i < end; i++) {
        const uint8_t *src = j->x + (size_t)i * (size_t)(H * W);
        uint8_t *dst = j->xp + (size_t)i * q->plane_bytes;
        for (int64_t r = 0; r < q->hp; r++) {
            uint8_t *d = dst + r * q->wp;
            const int64_t iy = r - top;
            if (iy < 0 || iy >= H) {
                memset(d, q->pad_value, (size_t)q->wp);
                continue;
            }
            const int64_t x0 = GL_MIN(left, q->wp), x1 = GL_MAX(x0, GL_MIN(q->wp, left + W));
            if (x0 > 0) memset(d, q->pad_value, (size_t)x0);
            const uint8_t *s = src + iy * W; /* input column x - left */
            for (int64_t x = x0; x < x1; x++) d[x] = s[x - left] ^ flip;
            if (x1 < q->wp) memset(d + x1, q->pad_value, (size_t)(q->wp - x1));
        }
    }
}

static void conv_rows(void *arg, int64_t begin, int64_t end, int tid) {
    (void)tid;
    const qconv_job *j = arg;
    const gl_cpu_qconv *q = j->q;
    const int64_t groups = (q->g.out[0] + q->rows_per_vec - 1) / q->rows_per_vec;
    for (int64_t i = begin; i < end; i++) {
        const int64_t n = i / groups;
        gl_qconv_row_args a = j->row;
        a.n = n;
        a.xp = j->xp + (size_t)(n * q->g.c_in) * q->plane_bytes;
        a.y = (uint8_t *)j->row.y + (size_t)n * j->y_sample_bytes;
        gl_qconv_row_avx512(&a, (i % groups) * q->rows_per_vec);
    }
}

void gl_cpu_qconv_run(const gl_cpu_qconv *q, const gl_tensor *in, int n_in, gl_tensor *out,
                      gl_pool *pool, uint8_t *buf) {
    const gl_conv_geom *g = &q->g;
    const gl_qconv_params *p = q->p;
    float *scale = (float *)(buf + input_bytes(q));
    const float *wscale = in[p->wscale_input].data;
    for (int64_t m = 0; m < g->c_out; m++) scale[m] = p->x_scale * wscale[m];
    const float *operands[3 + GL_MAX_EPILOGUE] = {0};
    for (int k = 3; k < n_in && k < (int)GL_ARRAY_LEN(operands); k++)
        operands[k] = in[k].dtype != GLINT_DTYPE_UNDEFINED ? (const float *)in[k].data : NULL;
    const size_t out_elem = glint_dtype_size(out[0].dtype);
    qconv_job j = {
        .q = q,
        .x = in[0].data,
        .xp = buf,
        .row = {.q = q, .bias = gl_in_present(in, n_in, 2) ? in[2].data : NULL, .scale = scale,
                .operands = operands, .y = out[0].data},
        .y_sample_bytes = (size_t)(g->c_out * g->out[0] * g->out[1]) * out_elem,
    };
    /* the slack is read (into discarded lanes): keep it defined */
    memset(buf + (size_t)(g->n * g->c_in) * q->plane_bytes, q->pad_value, tail_slack(q));
    const double copy_work = (double)(g->n * g->c_in) * (double)q->plane_bytes;
    gl_pool_for(gl_pool_for_work(pool, copy_work), g->n * g->c_in, pad_planes, &j);
    const double macs = (double)(g->n * g->out[0] * g->out[1]) * (double)(g->c_out * g->c_in) *
                        (double)(g->k[0] * q->kw4);
    const int64_t groups = (g->out[0] + q->rows_per_vec - 1) / q->rows_per_vec;
    gl_pool_for(gl_pool_for_work(pool, 2.0 * macs), g->n * groups, conv_rows, &j);
}

typedef struct quantize_job {
    const gl_cpu_quantize *q;
    const float *x;
    uint8_t *y;
    int64_t n;
} quantize_job;

enum { QUANTIZE_BLOCK = 16384 };

static void quantize_blocks(void *arg, int64_t begin, int64_t end, int tid) {
    (void)tid;
    const quantize_job *j = arg;
    const int64_t i0 = begin * QUANTIZE_BLOCK, i1 = GL_MIN(j->n, end * QUANTIZE_BLOCK);
    gl_quantize_avx512(j->q, j->x + i0, i1 - i0, j->y + i0);
}

void gl_cpu_quantize_run(const gl_cpu_quantize *q, const float *x, int64_t n, void *y,
                         gl_pool *pool) {
    quantize_job j = {q, x, y, n};
    /* about 20 operations an element: a large tensor is worth the threads */
    gl_pool_for(gl_pool_for_work(pool, 20.0 * (double)n), (n + QUANTIZE_BLOCK - 1) / QUANTIZE_BLOCK,
                quantize_blocks, &j);
}
