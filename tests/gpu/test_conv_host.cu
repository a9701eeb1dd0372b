/* The CUDA direct convolution's per-item code (gkc_point, cuda_conv_direct.cuh)
 * run on the host — the very function the kernel calls — for every work item,
 * against the reference kernels of Conv and glint::FusedConv on fresh random
 * inputs. Needs no GPU (nvcc compiles it into a host program; the half and
 * bfloat16 conversions have host versions), so it always runs.
 *
 * Covered: strides, asymmetric pads (also pads wider than the kernel),
 * dilation, groups and depthwise, 1x1 / 3x3 / 5x5 (unrolled paths) and other
 * kernels (general path; the unrolled shapes are also forced through it),
 * 1-D convs, batch 1 and 3, the folded nearest 2x upsample and two-way concat
 * (also together), every epilogue kind and broadcast, every channels-per-item
 * count that divides the group, in FP32 (relative 1e-5), FP16 (inputs
 * rounded to half for both sides; 1e-2) and BF16 (inputs rounded to
 * bfloat16 for both sides; 8e-3, run_both says why). Outputs are poisoned
 * with NaN first,
 * so an item that is never written, or written out of place, fails. Fixed
 * cases first, then random ones from the printed seed (GLINT_TEST_SEED). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

/* C headers first, with C linkage (cuda_kernels.h includes nn_params.h
 * outside its extern "C"). */
extern "C" {
#include "ops/nn_params.h"
#include "ops/op.h"
#include "testlib.h"
}
#include "backend/cuda/cuda_conv_direct.cuh"

struct tcase {
    int n, c, m, group, h, w; /* h, w: the logical input (after a folded upsample) */
    int kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
    int bias, up, split; /* up 1 or 2; split: channels from the first input (0 = no concat) */
};

static const gl_epi_kind k_unary[] = {GL_EPI_RELU, GL_EPI_LEAKY_RELU, GL_EPI_SIGMOID,
                                      GL_EPI_TANH, GL_EPI_SILU, GL_EPI_GELU, GL_EPI_CLIP};
static const gl_epi_kind k_binary[] = {GL_EPI_MUL, GL_EPI_ADD, GL_EPI_SUB, GL_EPI_RSUB};

static gl_tensor view(float *data, int rank, const int64_t *dims) {
    gl_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = GLINT_DTYPE_FLOAT32;
    t.data = data;
    t.shape.rank = rank;
    for (int i = 0; i < rank; i++) t.shape.d[i] = dims[i];
    return t;
}

/* Host copies of one tensor: the values both sides see (rounded to half in
 * FP16, to bfloat16 in BF16) and the storage the conv code reads. */
template <typename T>
struct buf {
    std::vector<float> f;
    std::vector<T> s;
};

static float to_f(float v) { return v; }
static float to_f(__half v) { return __half2float(v); }
static float to_f(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T> static T from_f(float v) { return gk_cvt<T>(v); }

template <typename T>
static void fill(buf<T> &b, size_t count, float lo, float hi) {
    b.f.resize(count + 1);
    b.s.resize(count + 1);
    tl_fill_uniform(b.f.data(), count, lo, hi);
    for (size_t i = 0; i < count; i++) {
        b.s[i] = from_f<T>(b.f[i]);
        b.f[i] = to_f(b.s[i]);
    }
}

/* Runs items [0, g.items) of the path (K, MB) in g. */
template <typename T, int K, int MB>
static void run_km(const gk_conv &p, const gkc_geom &g, const T *x, const T *x2, const T *w,
                   const T *b, const gk_ptrs &ops, T *y) {
    for (int i = 0; i < g.items; i++) gkc_point<T, K, MB>(p, g, x, x2, w, b, ops, y, i);
}
template <typename T, int K>
static void run_k(const gk_conv &p, const gkc_geom &g, const T *x, const T *x2, const T *w,
                  const T *b, const gk_ptrs &ops, T *y) {
    switch (g.mb) {
    case 8: run_km<T, K, 8>(p, g, x, x2, w, b, ops, y); break;
    case 4: run_km<T, K, 4>(p, g, x, x2, w, b, ops, y); break;
    case 2: run_km<T, K, 2>(p, g, x, x2, w, b, ops, y); break;
    default: run_km<T, K, 1>(p, g, x, x2, w, b, ops, y); break;
    }
}
template <typename T>
static void run_items(const gk_conv &p, const gkc_geom &g, const T *x, const T *x2, const T *w,
                      const T *b, const gk_ptrs &ops, T *y) {
    switch (g.kpath) {
    case 1: run_k<T, 1>(p, g, x, x2, w, b, ops, y); break;
    case 3: run_k<T, 3>(p, g, x, x2, w, b, ops, y); break;
    case 5: run_k<T, 5>(p, g, x, x2, w, b, ops, y); break;
    default: run_k<T, 0>(p, g, x, x2, w, b, ops, y); break;
    }
}

/* The previous kernel's per-output arithmetic (one output, taps tested one
 * by one, conv_in addressing), kept here as a second oracle: the new code
 * must give the same bits, FP32 and FP16, so the speed-up changes no result. */
template <typename T>
static void old_point(const gk_conv &p, const T *x, const T *x2, const T *w, const T *b,
                      const gk_ptrs &ops, T *y, int64_t idx) {
    const int64_t plane = (int64_t)p.oh * p.ow;
    const int cpg = p.c_in / p.group, mpg = p.c_out / p.group;
    int ox = (int)(idx % p.ow);
    int64_t t = idx / p.ow;
    int oy = (int)(t % p.oh);
    t /= p.oh;
    int m = (int)(t % p.c_out);
    int n = (int)(t / p.c_out);
    int c0 = (m / mpg) * cpg;
    float acc = 0.0f;
    for (int ci = 0; ci < cpg; ci++) {
        const T *wr = w + ((int64_t)m * cpg + ci) * p.kh * p.kw;
        for (int ky = 0; ky < p.kh; ky++) {
            int iy = oy * p.sh - p.ph + ky * p.dh;
            if (iy < 0 || iy >= p.h) continue;
            for (int kx = 0; kx < p.kw; kx++) {
                int ix = ox * p.sw - p.pw + kx * p.dw;
                if (ix < 0 || ix >= p.w) continue;
                int c = c0 + ci, hh = p.h / p.up, ww = p.w / p.up;
                const T *src = x;
                int cs = c, csrc = p.c_in;
                if (p.split_arg >= 0) {
                    if (c >= p.c_split) { src = x2; cs = c - p.c_split; csrc = p.c_in - p.c_split; }
                    else csrc = p.c_split;
                }
                int64_t xi = (((int64_t)n * csrc + cs) * hh + iy / p.up) * ww + ix / p.up;
                acc += gk_ld(src, xi) * gk_ld(wr, ky * p.kw + kx);
            }
        }
    }
    if (b) acc += gk_ld(b, m);
    int64_t i = (int64_t)oy * p.ow + ox;
    for (int e = 0; e < p.n_epi; e++) acc = gk_conv_epi<T>(p, e, acc, ops, n, m, i, plane);
    gk_st(y, idx, acc);
}

static int g_runs;

/* One case in precision T with epilogue mode epi_mode (-1: plain Conv; else
 * a 4-step FusedConv chain chosen from the mode, as in test_cpu_conv), over
 * every mb dividing the group's channels and both the unrolled and the
 * general path. */
template <typename T>
static void run_case(const tcase &tc, int epi_mode, const char *prec, float rtol) {
    gl_fused_conv_params fp;
    memset(&fp, 0, sizeof fp);
    gl_conv_params *cp = &fp.conv;
    cp->group = tc.group;
    cp->n_kernel = 2;
    cp->kernel[0] = tc.kh; cp->kernel[1] = tc.kw;
    cp->stride[0] = tc.sh; cp->stride[1] = tc.sw;
    cp->dilation[0] = tc.dh; cp->dilation[1] = tc.dw;
    cp->pads[0] = tc.pt; cp->pads[1] = tc.pl;
    cp->pads[GL_MAX_SPATIAL + 0] = tc.pb; cp->pads[GL_MAX_SPATIAL + 1] = tc.pr;
    cp->n_attr_spatial = 2;
    cp->auto_pad = GL_AUTO_PAD_NOTSET;
    const int cpg = tc.c / tc.group;
    const int64_t xd[4] = {tc.n, tc.c, tc.h, tc.w};
    const int64_t wd[4] = {tc.m, cpg, tc.kh, tc.kw};
    gl_shape xs, ws;
    memset(&xs, 0, sizeof xs);
    memset(&ws, 0, sizeof ws);
    xs.rank = ws.rank = 4;
    for (int i = 0; i < 4; i++) { xs.d[i] = xd[i]; ws.d[i] = wd[i]; }
    gl_conv_geom geo;
    gl_err err;
    memset(&err, 0, sizeof err);
    if (gl_conv_resolve(cp, &xs, &ws, &geo, &err) != GLINT_OK) {
        CHECK_MSG(0, "resolve failed: %s", err.msg);
        return;
    }
    const int oh = (int)geo.out[0], ow = (int)geo.out[1];
    const int64_t yd[4] = {tc.n, tc.m, oh, ow};
    const size_t ysz = (size_t)tc.n * tc.m * oh * ow;

    /* Sources as stored: channels [0, split) in xa, the rest in xb, each
     * (h/up) x (w/up); the reference sees the logical concatenated and
     * upsampled tensor xl. */
    const int hs = tc.h / tc.up, wsrc = tc.w / tc.up;
    const int ca = tc.split ? tc.split : tc.c, cb = tc.c - ca;
    buf<T> xa, xb, w, b;
    fill(xa, (size_t)tc.n * ca * hs * wsrc, -1, 1);
    if (cb) fill(xb, (size_t)tc.n * cb * hs * wsrc, -1, 1);
    fill(w, (size_t)tc.m * cpg * tc.kh * tc.kw, -1, 1);
    fill(b, (size_t)tc.m, -1, 1);
    std::vector<float> xl((size_t)tc.n * tc.c * tc.h * tc.w);
    for (int n = 0; n < tc.n; n++)
        for (int c = 0; c < tc.c; c++)
            for (int iy = 0; iy < tc.h; iy++)
                for (int ix = 0; ix < tc.w; ix++) {
                    const buf<T> &src = c < ca ? xa : xb;
                    int cs = c < ca ? c : c - ca, cn = c < ca ? ca : cb;
                    xl[(((size_t)n * tc.c + c) * tc.h + iy) * tc.w + ix] =
                        src.f[(((size_t)n * cn + cs) * hs + iy / tc.up) * wsrc + ix / tc.up];
                }

    gl_tensor in[3 + GL_MAX_EPILOGUE];
    memset(in, 0, sizeof in);
    int n_in = 3;
    in[0] = view(xl.data(), 4, xd);
    in[1] = view(w.f.data(), 4, wd);
    const int64_t bd[1] = {tc.m};
    if (tc.bias) in[2] = view(b.f.data(), 1, bd);
    else in[2].dtype = GLINT_DTYPE_UNDEFINED;
    buf<T> opnd[GL_MAX_EPILOGUE];
    gk_ptrs ops;
    memset(&ops, 0, sizeof ops);
    if (epi_mode >= 0) {
        const gl_epi_bcast bc[] = {GL_BCAST_SCALAR, GL_BCAST_CHANNEL, GL_BCAST_SAMPLE_CHANNEL,
                                   GL_BCAST_FULL};
        for (int s = 0; s < 4; s++) {
            gl_epi_step *e = &fp.epi[s];
            memset(e, 0, sizeof *e);
            e->operand = -1;
            if (s == 0 || s == 3) {
                e->kind = k_unary[(epi_mode + s * 3) % GL_ARRAY_LEN(k_unary)];
                e->alpha = e->kind == GL_EPI_CLIP ? -0.3f : 0.1f;
                e->beta = 0.4f;
                continue;
            }
            e->kind = k_binary[(epi_mode + s) % GL_ARRAY_LEN(k_binary)];
            e->bcast = bc[(epi_mode / 2 + s) % 4];
            int64_t dims[4] = {1, 1, 1, 1};
            int rank = 1;
            switch (e->bcast) {
            case GL_BCAST_SCALAR: break;
            case GL_BCAST_CHANNEL: dims[0] = tc.m; break;
            case GL_BCAST_SAMPLE_CHANNEL: dims[0] = tc.n; dims[1] = tc.m; rank = 2; break;
            case GL_BCAST_FULL: memcpy(dims, yd, sizeof yd); rank = 4; break;
            }
            fill(opnd[s], (size_t)(dims[0] * dims[1] * dims[2] * dims[3]), -1, 1);
            e->operand = n_in;
            ops.p[n_in] = opnd[s].s.data();
            in[n_in++] = view(opnd[s].f.data(), rank, dims);
        }
        fp.n_epi = 4;
    }

    /* The plain convolution's scale: rounding differs from the reference's
     * (it starts from the bias) by a few ulps of the sums, whatever the
     * epilogue maps them to, so FP32 allows rtol of that scale as well. */
    std::vector<float> want(ysz + 1);
    double conv_rms = 0;
    {
        gl_tensor plain = view(want.data(), 4, yd);
        CHECK_OK(gl_op_find("", "Conv")->run(cp, in, 3, &plain, 1, NULL, &err));
        for (size_t i = 0; i < ysz; i++) conv_rms += (double)want[i] * want[i];
        conv_rms = sqrt(conv_rms / (double)(ysz ? ysz : 1));
    }
    gl_tensor out = view(want.data(), 4, yd);
    const gl_op *op = epi_mode >= 0 ? gl_op_find("glint", "FusedConv") : gl_op_find("", "Conv");
    const void *params = epi_mode >= 0 ? (const void *)&fp : (const void *)cp;
    size_t wsb = op->workspace ? op->workspace(params, in, n_in, &out, 1) : 0;
    std::vector<unsigned char> wsp(wsb + 1);
    tl_poison(want.data(), ysz);
    glint_status st = op->run(params, in, n_in, &out, 1, wsp.data(), &err);
    CHECK_MSG(st == GLINT_OK, "reference failed: %s", err.msg);
    if (st != GLINT_OK) return;

    /* The descriptor as cuda_lower_nn.c fills it (args: 0 X, 1 W, 2 B,
     * operands at their input index, then the concat's second input). */
    gk_conv p;
    memset(&p, 0, sizeof p);
    p.n = tc.n; p.c_in = tc.c; p.h = tc.h; p.w = tc.w; p.c_out = tc.m; p.group = tc.group;
    p.oh = oh; p.ow = ow; p.kh = tc.kh; p.kw = tc.kw; p.sh = tc.sh; p.sw = tc.sw;
    p.dh = tc.dh; p.dw = tc.dw; p.ph = tc.pt; p.pw = tc.pl;
    p.up = tc.up;
    p.up2 = tc.split ? tc.up : 1; /* the direct kernel upsamples both parts alike */
    p.split_arg = tc.split ? n_in : -1;
    p.c_split = tc.split;
    p.n_epi = fp.n_epi;
    for (int e = 0; e < fp.n_epi; e++) p.epi[e] = fp.epi[e];
    p.out_arg = n_in + (tc.split ? 1 : 0);
    ops.p[0] = xa.s.data();
    ops.p[1] = w.s.data();
    ops.p[2] = tc.bias ? b.s.data() : nullptr;

    std::vector<T> y(ysz + 1), y_old(ysz + 1);
    std::vector<float> got(ysz + 1);
    for (size_t i = 0; i < ysz; i++)
        old_point<T>(p, xa.s.data(), cb ? xb.s.data() : nullptr, w.s.data(),
                     tc.bias ? b.s.data() : nullptr, ops, y_old.data(), (int64_t)i);
    const int auto_k = gkc_kpath(p), auto_mb = gkc_pick_mb(p);
    CHECK(auto_mb >= 1 && (tc.m / tc.group) % auto_mb == 0);
    for (int kp = 0; kp < 2; kp++) {
        int kpath = kp ? 0 : auto_k;
        if (kp && auto_k == 0) break;
        for (int mb = 1; mb <= gkc_max_mb(kpath); mb *= 2) {
            if ((tc.m / tc.group) % mb) continue;
            gkc_geom g;
            bool ok = gkc_setup(p, mb, kpath, &g);
            CHECK_MSG(ok, "gkc_setup refused mb=%d kpath=%d", mb, kpath);
            if (!ok) continue;
            CHECK(g.items * mb == (int)ysz);
            T nan = from_f<T>(NAN);
            for (size_t i = 0; i < ysz; i++) y[i] = nan;
            y[ysz] = from_f<T>(1000.0f); /* a guard after the end */
            run_items<T>(p, g, xa.s.data(), cb ? xb.s.data() : nullptr, w.s.data(),
                         tc.bias ? b.s.data() : nullptr, ops, y.data());
            for (size_t i = 0; i < ysz; i++) got[i] = to_f(y[i]);
            char what[320];
            snprintf(what, sizeof what,
                     "%s k=%d mb=%d%s epi=%d n=%d c=%d m=%d g=%d %dx%d k=%dx%d s=%d,%d d=%d,%d "
                     "pads=%d,%d,%d,%d bias=%d up=%d split=%d",
                     prec, kpath, mb, mb == auto_mb && kpath == auto_k ? "(auto)" : "", epi_mode,
                     tc.n, tc.c, tc.m, tc.group, tc.h, tc.w, tc.kh, tc.kw, tc.sh, tc.sw, tc.dh,
                     tc.dw, tc.pt, tc.pl, tc.pb, tc.pr, tc.bias, tc.up, tc.split);
            CHECK(tl_close(got.data(), want.data(), ysz, rtol, rtol * (float)conv_rms, what));
            CHECK_MSG(memcmp(y.data(), y_old.data(), ysz * sizeof(T)) == 0,
                      "%s: differs from the previous kernel's bits", what);
            CHECK_MSG(to_f(y[ysz]) == 1000.0f, "%s: wrote past the output", what);
            g_runs++;
        }
    }
}

/* BF16: both sides read the same rounded inputs and sum in FP32, so what
 * differs is the output store, which rounds to 8 significant bits (at most
 * 2^-8 = 3.9e-3 of the value), and the FP32 summation order (a few ulps of
 * the conv's scale): 8e-3, twice the store's rounding. */
static void run_both(const tcase &tc, int epi_mode) {
    run_case<float>(tc, epi_mode, "fp32", 1e-5f);
    run_case<__half>(tc, epi_mode, "fp16", 1e-2f);
    run_case<__nv_bfloat16>(tc, epi_mode, "bf16", 8e-3f);
}

static int rnd_int(int lo, int hi) { /* inclusive */
    return lo + (int)(tl_rand_u64() % (uint64_t)(hi - lo + 1));
}

/* A random valid case: kernel shapes of both paths, strides, dilations,
 * pads up to past the kernel, groups, folds. */
static tcase random_case(void) {
    static const int ks[][2] = {{1, 1}, {3, 3}, {5, 5}, {2, 2}, {1, 3}, {3, 1}, {7, 7}, {4, 2}};
    tcase t;
    memset(&t, 0, sizeof t);
    t.n = rnd_int(1, 3);
    t.group = rnd_int(0, 3) == 0 ? rnd_int(2, 4) : 1;
    t.c = t.group * rnd_int(1, 6);
    t.m = t.group * (1 << rnd_int(0, 4)) * (rnd_int(0, 3) == 0 ? 3 : 1);
    int k = rnd_int(0, (int)(sizeof ks / sizeof ks[0]) - 1);
    t.kh = ks[k][0];
    t.kw = ks[k][1];
    t.sh = rnd_int(1, 3);
    t.sw = rnd_int(1, 3);
    t.dh = rnd_int(0, 2) == 0 ? 2 : 1;
    t.dw = rnd_int(0, 2) == 0 ? rnd_int(2, 3) : 1;
    t.pt = rnd_int(0, t.kh);
    t.pl = rnd_int(0, t.kw);
    t.pb = rnd_int(0, t.kh);
    t.pr = rnd_int(0, t.kw);
    t.up = rnd_int(0, 2) == 0 ? 2 : 1;
    t.h = t.up * rnd_int(4, 11);
    t.w = t.up * rnd_int(4, 13);
    /* the output must be non-empty: h + pads >= the dilated kernel */
    while (t.h + t.pt + t.pb < (t.kh - 1) * t.dh + 1) t.pb++;
    while (t.w + t.pl + t.pr < (t.kw - 1) * t.dw + 1) t.pr++;
    t.bias = rnd_int(0, 1);
    t.split = t.c >= 2 && rnd_int(0, 2) == 0 ? rnd_int(1, t.c - 1) : 0;
    return t;
}

/* The launcher's choices: mb divides the group's channels and leaves enough
 * threads; unsupported geometries are refused, not miscomputed. */
static void test_choices(void) {
    gk_conv p;
    memset(&p, 0, sizeof p);
    p.n = 1; p.c_in = 32; p.c_out = 16; p.group = 1; p.h = p.w = p.oh = p.ow = 64;
    p.kh = p.kw = 3; p.sh = p.sw = p.dh = p.dw = 1; p.ph = p.pw = 1; p.up = p.up2 = 1;
    p.split_arg = -1;
    CHECK(gkc_kpath(p) == 3);
    CHECK(gkc_pick_mb(p) == 2); /* 65536 outputs: 2 per item keeps 32768 threads */
    p.n = 32;
    CHECK(gkc_pick_mb(p) == 8);
    p.c_out = 12; /* 8 does not divide 12 */
    CHECK(gkc_pick_mb(p) == 4);
    p.n = 1; p.oh = p.ow = 8; p.h = p.w = 8;
    CHECK(gkc_pick_mb(p) == 1);
    gkc_geom g;
    CHECK(gkc_setup(p, 4, 3, &g));
    CHECK(!gkc_setup(p, 8, 3, &g)); /* 8 does not divide 12 */
    CHECK(!gkc_setup(p, 4, 5, &g)); /* not a 5x5 */
    p.up = 3;
    CHECK(!gkc_setup(p, 1, 0, &g));
    p.up = 2; p.h = 9;
    CHECK(!gkc_setup(p, 1, 0, &g)); /* odd logical size cannot be a 2x upsample */
    p.up = 1; p.h = 8;
    p.split_arg = 5; p.c_split = 32; /* the split must leave channels in both inputs */
    CHECK(!gkc_setup(p, 1, 3, &g));
    p.split_arg = -1;
    p.c_in = 1 << 16; p.c_out = 1 << 14; /* 2^30 * 9 weights: over int32 */
    CHECK(!gkc_setup(p, 1, 3, &g));
    p.kh = 7; p.kw = 1; p.c_in = p.c_out = 4;
    CHECK(gkc_kpath(p) == 0);
    p.kh = p.kw = 5; p.c_in = 16; p.c_out = 64; p.n = 32; p.oh = p.ow = p.h = p.w = 64;
    CHECK(gkc_pick_mb(p) == 2); /* a 5x5 keeps its registers */
    CHECK(!gkc_setup(p, 4, 5, &g) && gkc_setup(p, 4, 0, &g) && gkc_setup(p, 2, 5, &g));
}

int main(void) {
    tl_seed_from_env();
    test_choices();
    /* n c m g h w kh kw sh sw dh dw pt pl pb pr bias up split */
    static const tcase fixed[] = {
        {2, 16, 16, 1, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},  /* conv3x3 */
        {1, 16, 16, 1, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0},    /* stride 2 */
        {3, 24, 8, 1, 8, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0},     /* 1x1, no bias */
        {1, 8, 8, 2, 12, 12, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1, 0},    /* groups, dilation */
        {1, 16, 16, 16, 10, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0}, /* depthwise */
        {2, 8, 8, 1, 1, 20, 1, 5, 1, 1, 1, 1, 0, 2, 0, 2, 0, 1, 0},     /* 1-D */
        {1, 4, 8, 1, 9, 11, 5, 5, 1, 1, 1, 1, 1, 2, 3, 0, 1, 1, 0},     /* 5x5 asymmetric */
        {1, 6, 8, 1, 7, 7, 5, 5, 2, 1, 1, 2, 3, 4, 0, 6, 1, 1, 0},      /* pads past the kernel */
        {1, 16, 16, 1, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0},  /* folded upsample */
        {1, 32, 16, 1, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8},  /* folded concat */
        {3, 12, 8, 2, 10, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5},   /* concat across a group */
        {2, 10, 8, 2, 8, 12, 3, 3, 2, 1, 1, 1, 0, 1, 1, 0, 1, 2, 3},    /* upsample + concat */
        {1, 48, 16, 1, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 32}, /* U-Net decoder */
        {1, 1, 16, 1, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},   /* U-Net input layer */
        {1, 16, 1, 1, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},   /* U-Net output layer */
    };
    const int n_fixed = (int)(sizeof fixed / sizeof fixed[0]);
    for (int i = 0; i < n_fixed; i++) {
        run_both(fixed[i], -1);
        run_both(fixed[i], i % 8);
    }
    for (int i = 0; i < 60; i++) {
        tcase t = random_case();
        run_both(t, (i % 3 == 0) ? -1 : i % 8);
    }
    printf("%d configurations compared\n", g_runs);
    return TEST_END();
}
