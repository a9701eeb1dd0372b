/* Is a batched plan separable into per-chunk runs? (batch_split.h says why
 * the CPU backend asks.) The rules err on the side of "no": an operator not
 * listed here, or one whose inputs are not shaped as expected, keeps the
 * plan whole, which is always correct, only slower at large batch. */
#include "backend/cpu/batch_split.h"

#include <stdio.h>
#include <string.h>

#include "ops/quant_params.h"

/* The common leading dim of every graph input and output, or 0. */
static int64_t io_batch(const gl_plan *p) {
    const gl_graph *g = p->graph;
    int64_t n = 0;
    for (int side = 0; side < 2; side++) {
        const int count = side ? g->n_outputs : g->n_inputs;
        const int *ids = side ? p->outputs : p->inputs;
        for (int i = 0; i < count; i++) {
            const int t = ids[i];
            if (t < 0) return 0;
            const gl_plan_tensor *pt = &p->tensors[t];
            if (pt->is_const || pt->shape.rank < 1 || pt->shape.d[0] < 1) return 0;
            if (n && pt->shape.d[0] != n) return 0;
            n = pt->shape.d[0];
        }
    }
    return n;
}

int64_t gl_cpu_plan_batch(const gl_plan *p) {
    const int64_t n = io_batch(p);
    return n >= 2 ? n : 0;
}

int64_t gl_cpu_chunk_size(int64_t N, int threads, int64_t target) {
    if (N < 2 || target < 1) return 0;
    if (threads < 1) threads = 1;
    int64_t c = GL_MIN(target, N);
    /* two chunks per thread lets a thread that was descheduled be covered */
    while (c > 1 && N / c < 2 * (int64_t)threads) c--;
    while (c > 1 && N % c != 0) c--;
    return N / c >= 2 ? c : 0;
}

#define WHY(...) (why ? (void)snprintf(why, why_size, __VA_ARGS__) : (void)0, false)

/* dim 0 is the batch (nf in full, ns in sub), every other dim equal */
static bool batch_leading(const gl_shape *f, const gl_shape *s, int64_t nf, int64_t ns) {
    if (f->rank != s->rank || f->rank < 1 || f->d[0] != nf || s->d[0] != ns) return false;
    for (int k = 1; k < f->rank; k++)
        if (f->d[k] != s->d[k]) return false;
    return true;
}

/* Element i of an integer constant (int32 or int64). */
static bool const_int(const gl_plan_tensor *t, int64_t i, int64_t *v) {
    if (!t->is_const || !t->data || i < 0 || i >= gl_shape_numel(&t->shape)) return false;
    if (t->dtype == GLINT_DTYPE_INT64) *v = ((const int64_t *)t->data)[i];
    else if (t->dtype == GLINT_DTYPE_INT32) *v = ((const int32_t *)t->data)[i];
    else return false;
    return true;
}

static bool name_in(const char *name, const char *const *list) {
    for (; *list; list++)
        if (strcmp(name, *list) == 0) return true;
    return false;
}

/* Operators computing each output element from the elements at the same
 * (broadcast) index of their inputs. */
static const char *const k_elementwise[] = {
    "Identity", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Erf", "Abs", "Neg", "Exp", "Log",
    "Sqrt", "Reciprocal", "Floor", "Ceil", "Softplus", "HardSigmoid", "Elu", "Selu", "Sign",
    "Round", "Softsign", "Sin", "Cos", "HardSwish", "Gelu", "Clip", "Add", "Sub", "Mul", "Div",
    "Pow", "Mod", "Min", "Max", "Sum", "Mean", "Where", "Cast", NULL};
/* Operators that only move bytes without reordering them (row-major): with
 * dim 0 the batch on both sides, sample n's block is the same bytes. */
static const char *const k_layout[] = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", NULL};
/* Operators acting on each sample's channels / pixels: input 0 is the
 * activation, the other inputs are weights. */
static const char *const k_per_sample[] = {
    "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
    "BatchNormalization", "InstanceNormalization", NULL};

/* Broadcast operand rule: a runtime operand must have the output's rank
 * (so its dim 0 lines up with the batch); a constant operand of that rank
 * must be 1 along dim 0 (the same for every sample). */
static bool operand_ok(const gl_plan_tensor *t, int out_rank) {
    if (!t->is_const) return t->shape.rank == out_rank;
    return t->shape.rank < out_rank || t->shape.d[0] == 1;
}

bool gl_cpu_plan_separable(const gl_plan *full, const gl_plan *sub, const bool *full_up2,
                           const bool *sub_up2, char *why, size_t why_size) {
    const int64_t N = gl_cpu_plan_batch(full), c = io_batch(sub);
    if (!N || !c || N % c != 0 || c >= N) return WHY("inputs and outputs are not batch-leading");
    if (full->graph != sub->graph || full->n_steps != sub->n_steps)
        return WHY("the two plans differ in their steps");
    const gl_graph *g = full->graph;
    for (int i = 0; i < full->n_steps; i++) {
        const gl_plan_step *fs = &full->steps[i], *ss = &sub->steps[i];
        const char *op = fs->op->name;
        if (fs->op != ss->op || fs->n_inputs != ss->n_inputs || fs->n_outputs != ss->n_outputs)
            return WHY("step %d: the two plans differ", i);
        /* every runtime tensor batch-leading in both plans */
        for (int side = 0; side < 2; side++) {
            const int cnt = side ? fs->n_outputs : fs->n_inputs;
            const int *fi = side ? fs->outputs : fs->inputs, *si = side ? ss->outputs : ss->inputs;
            for (int k = 0; k < cnt; k++) {
                if ((fi[k] < 0) != (si[k] < 0)) return WHY("step %d: the two plans differ", i);
                if (fi[k] < 0) continue;
                const gl_plan_tensor *ft = &full->tensors[fi[k]], *st = &sub->tensors[si[k]];
                if (ft->is_const != st->is_const || ft->dtype != st->dtype)
                    return WHY("step %d (%s): constants differ between batches", i, op);
                if (!ft->is_const && !batch_leading(&ft->shape, &st->shape, N, c))
                    return WHY("step %d (%s): a tensor is not batch-leading", i, op);
                if (side && ft->is_const) return WHY("step %d (%s): constant output", i, op);
            }
        }
        if (fs->n_outputs < 1 || fs->outputs[0] < 0) return WHY("step %d (%s): no output", i, op);
        const int out_rank = full->tensors[fs->outputs[0]].shape.rank;
        const gl_plan_tensor *in0 = fs->n_inputs > 0 && fs->inputs[0] >= 0
                                        ? &full->tensors[fs->inputs[0]] : NULL;
        const bool glint = strcmp(fs->op->domain, "glint") == 0;
        if (glint && strcmp(op, "FusedConv") != 0 && strcmp(op, "QConv") != 0)
            return WHY("step %d (glint::%s): not known to be per-sample", i, op);
        if (!glint && strcmp(fs->op->domain, "") != 0)
            return WHY("step %d (%s): not known to be per-sample", i, op);
        if (glint || name_in(op, k_per_sample)) {
            /* X, then weights (constants); FusedConv's epilogue operands
             * from input 3 on broadcast like an elementwise op's */
            if (!in0 || in0->is_const) return WHY("step %d (%s): constant activation", i, op);
            if (fs->n_outputs > 1 && fs->outputs[1] >= 0)
                return WHY("step %d (%s): second output (pool indices count across samples)", i, op);
            for (int k = 1; k < fs->n_inputs; k++) {
                if (fs->inputs[k] < 0) continue;
                const gl_plan_tensor *t = &full->tensors[fs->inputs[k]];
                if (glint && k >= 3 ? !operand_ok(t, out_rank) : !t->is_const)
                    return WHY("step %d (%s): input %d is not a per-sample operand", i, op, k);
            }
        } else if (name_in(op, k_elementwise)) {
            for (int k = 0; k < fs->n_inputs; k++)
                if (fs->inputs[k] >= 0 && !operand_ok(&full->tensors[fs->inputs[k]], out_rank))
                    return WHY("step %d (%s): input %d broadcasts across the batch", i, op, k);
        } else if (name_in(op, k_layout)) {
            if (!in0 || in0->is_const) return WHY("step %d (%s): constant data", i, op);
            for (int k = 1; k < fs->n_inputs; k++)
                if (fs->inputs[k] >= 0 && !full->tensors[fs->inputs[k]].is_const)
                    return WHY("step %d (%s): runtime shape input", i, op);
        } else if (strcmp(op, "QuantizeLinear") == 0 || strcmp(op, "DequantizeLinear") == 0) {
            /* elementwise with constant scale and zero point, unless the
             * scales run along the batch axis */
            if (!in0 || in0->is_const) return WHY("step %d (%s): constant data", i, op);
            for (int k = 1; k < fs->n_inputs; k++)
                if (fs->inputs[k] >= 0 && !full->tensors[fs->inputs[k]].is_const)
                    return WHY("step %d (%s): runtime scale or zero point", i, op);
            const int64_t axis = ((const gl_qdq_params *)fs->params)->axis;
            if (fs->n_inputs > 1 && fs->inputs[1] >= 0 &&
                gl_shape_numel(&full->tensors[fs->inputs[1]].shape) > 1 &&
                (axis == 0 || axis == -(int64_t)in0->shape.rank))
                return WHY("step %d (%s): scales along the batch axis", i, op);
        } else if (strcmp(op, "Concat") == 0) {
            /* all inputs batch-leading and the output too: dim 0 cannot be
             * the concatenated axis (it would add up to more than N) */
            for (int k = 0; k < fs->n_inputs; k++)
                if (fs->inputs[k] < 0 || full->tensors[fs->inputs[k]].is_const)
                    return WHY("step %d (Concat): constant input", i);
        } else if (strcmp(op, "Slice") == 0) {
            /* N of N along dim 0 is the identity, unless walked backwards */
            if (!in0 || in0->is_const || fs->n_inputs < 3) return WHY("step %d (Slice): form", i);
            for (int k = 1; k < fs->n_inputs; k++)
                if (fs->inputs[k] >= 0 && !full->tensors[fs->inputs[k]].is_const)
                    return WHY("step %d (Slice): runtime starts/ends", i);
            const gl_plan_tensor *starts = &full->tensors[fs->inputs[1]];
            const gl_plan_tensor *axes = fs->n_inputs > 3 && fs->inputs[3] >= 0 ? &full->tensors[fs->inputs[3]] : NULL;
            const gl_plan_tensor *steps = fs->n_inputs > 4 && fs->inputs[4] >= 0 ? &full->tensors[fs->inputs[4]] : NULL;
            for (int64_t j = 0; j < gl_shape_numel(&starts->shape); j++) {
                int64_t ax = j, st = 1;
                if ((axes && !const_int(axes, j, &ax)) || (steps && !const_int(steps, j, &st)))
                    return WHY("step %d (Slice): unreadable axes/steps", i);
                if (ax < 0) ax += in0->shape.rank;
                if (ax == 0 && st < 0) return WHY("step %d (Slice): reverses the batch", i);
            }
        } else if (strcmp(op, "Gemm") == 0) {
            int64_t ta = 0;
            if (fs->node < 0 || fs->node >= g->n_nodes ||
                gl_attr_int(&g->nodes[fs->node], "transA", 0, &ta, NULL) != GLINT_OK || ta != 0)
                return WHY("step %d (Gemm): transposed A", i);
            if (!in0 || in0->is_const || fs->n_inputs < 2 || fs->inputs[1] < 0 ||
                !full->tensors[fs->inputs[1]].is_const)
                return WHY("step %d (Gemm): B is not a constant", i);
            if (fs->n_inputs > 2 && fs->inputs[2] >= 0 && !operand_ok(&full->tensors[fs->inputs[2]], 2))
                return WHY("step %d (Gemm): C broadcasts across the batch", i);
        } else if (strcmp(op, "MatMul") == 0) {
            if (!in0 || in0->is_const || fs->n_inputs < 2 || fs->inputs[1] < 0 ||
                !full->tensors[fs->inputs[1]].is_const || full->tensors[fs->inputs[1]].shape.rank > 2)
                return WHY("step %d (MatMul): B is not a constant matrix", i);
        } else if (strcmp(op, "Resize") == 0 || strcmp(op, "Upsample") == 0) {
            /* only the resize proven (by probe) to be a plain nearest 2x of
             * the last two axes in both plans */
            if (!full_up2[i] || !sub_up2[i]) return WHY("step %d (%s): not a nearest 2x", i, op);
        } else {
            return WHY("step %d (%s): not known to be per-sample", i, op);
        }
    }
    return true;
}
