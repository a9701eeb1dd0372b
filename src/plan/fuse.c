/* Fusion: a Conv whose output feeds a chain of pointwise ops becomes one
 * glint::FusedConv step whose epilogue applies the chain to each output
 * element as it is stored (src/ops/nn_params.h). Recognised, in any order
 * and up to GL_MAX_EPILOGUE steps: Relu, LeakyRelu, Sigmoid, Tanh, Clip with
 * constant bounds, x * Sigmoid(x) (SiLU), and Mul / Add / Sub with an
 * operand that is a scalar, per channel, per sample and channel (FiLM) or of
 * the output's own shape (residual). A link is fused only when the
 * intermediate tensor has exactly one consumer and is not a graph output.
 * The fused step takes the place of the chain's last op, where every operand
 * is already computed. */
#include <string.h>

#include "ops/nn_params.h"
#include "plan/plan_internal.h"

static bool op_is(const gl_op *op, const char *name) {
    return op->domain[0] == '\0' && strcmp(op->name, name) == 0;
}

/* consumers of tensor t: count, and the single consumer's index */
static int consumers(const gl_plan *p, int t, int *only) {
    int count = 0;
    for (int s = 0; s < p->n_steps; s++) {
        const gl_plan_step *st = &p->steps[s];
        if (!st->op) continue; /* removed */
        for (int i = 0; i < st->n_inputs; i++)
            if (st->inputs[i] == t) {
                count++;
                *only = s;
                break;
            }
    }
    for (int i = 0; i < p->graph->n_outputs; i++)
        if (p->outputs[i] == t) count += 1000; /* never fuse away a graph output */
    return count;
}

static bool classify_operand(const gl_plan_tensor *out, const gl_plan_tensor *opnd,
                             gl_epi_bcast *bc) {
    if (opnd->dtype != GLINT_DTYPE_FLOAT32) return false;
    int64_t numel = gl_shape_numel(&opnd->shape);
    if (numel == 1) {
        *bc = GL_BCAST_SCALAR;
        return opnd->shape.rank <= out->shape.rank;
    }
    if (gl_shape_equal(&out->shape, &opnd->shape)) {
        *bc = GL_BCAST_FULL;
        return true;
    }
    int r = out->shape.rank;
    if (opnd->shape.rank > r || r < 3) return false;
    gl_shape al = {.rank = r};
    for (int i = 0; i < r; i++) {
        int j = opnd->shape.rank - r + i;
        al.d[i] = j >= 0 ? opnd->shape.d[j] : 1;
    }
    for (int i = 2; i < r; i++)
        if (al.d[i] != 1) return false;
    if (al.d[1] != out->shape.d[1]) return false;
    if (al.d[0] == 1) {
        *bc = GL_BCAST_CHANNEL;
        return true;
    }
    if (al.d[0] == out->shape.d[0]) {
        *bc = GL_BCAST_SAMPLE_CHANNEL;
        return true;
    }
    return false;
}

static bool const_scalar(const gl_plan *p, int t, float *v) {
    if (t < 0) return false;
    const gl_plan_tensor *pt = &p->tensors[t];
    if (!pt->is_const || pt->dtype != GLINT_DTYPE_FLOAT32 || gl_shape_numel(&pt->shape) != 1)
        return false;
    memcpy(v, pt->data, sizeof *v);
    return true;
}

typedef struct chain_link {
    int step;
    gl_epi_step epi;
    int operand_tensor; /* -1 none */
    int extra_step;     /* SiLU: the Sigmoid step also removed, else -1 */
} chain_link;

/* Can step `s` (consuming y) be appended to the chain? Fills link. */
static bool match_link(const gl_plan *p, int y, int s, chain_link *link) {
    const gl_plan_step *st = &p->steps[s];
    const gl_op *op = st->op;
    const gl_plan_tensor *yt = &p->tensors[y];
    link->step = s;
    link->operand_tensor = -1;
    link->extra_step = -1;
    link->epi = (gl_epi_step){.operand = -1};
    if (st->n_outputs != 1 || st->outputs[0] < 0) return false;
    const gl_plan_tensor *ot = &p->tensors[st->outputs[0]];
    if (!gl_shape_equal(&ot->shape, &yt->shape) || ot->dtype != GLINT_DTYPE_FLOAT32) return false;
    if (op_is(op, "Relu")) { link->epi.kind = GL_EPI_RELU; return true; }
    if (op_is(op, "Sigmoid")) { link->epi.kind = GL_EPI_SIGMOID; return true; }
    if (op_is(op, "Tanh")) { link->epi.kind = GL_EPI_TANH; return true; }
    if (op_is(op, "LeakyRelu")) {
        const gl_node *n = &p->graph->nodes[st->node];
        float alpha;
        if (gl_attr_float(n, "alpha", 0.01f, &alpha, NULL) != GLINT_OK) return false;
        link->epi.kind = GL_EPI_LEAKY_RELU;
        link->epi.alpha = alpha;
        return true;
    }
    if (op_is(op, "Clip")) {
        float lo = -3.402823466e38f, hi = 3.402823466e38f;
        if (st->n_inputs > 1 && st->inputs[1] >= 0 && !const_scalar(p, st->inputs[1], &lo))
            return false;
        if (st->n_inputs > 2 && st->inputs[2] >= 0 && !const_scalar(p, st->inputs[2], &hi))
            return false;
        link->epi.kind = GL_EPI_CLIP;
        link->epi.alpha = lo;
        link->epi.beta = hi;
        return true;
    }
    bool mul = op_is(op, "Mul"), add = op_is(op, "Add"), sub = op_is(op, "Sub");
    if ((mul || add || sub) && st->n_inputs == 2) {
        int other_pos = st->inputs[0] == y ? 1 : 0;
        if (st->inputs[1 - other_pos] != y || st->inputs[other_pos] == y) return false;
        int other = st->inputs[other_pos];
        /* SiLU: Mul(y, Sigmoid(y)) where the Sigmoid feeds only this Mul */
        if (mul) {
            for (int k = 0; k < p->n_steps; k++) {
                const gl_plan_step *sg = &p->steps[k];
                if (sg->op && op_is(sg->op, "Sigmoid") && sg->outputs[0] == other &&
                    sg->inputs[0] == y) {
                    int only = -1;
                    if (consumers(p, other, &only) != 1) return false;
                    link->epi.kind = GL_EPI_SILU;
                    link->extra_step = k;
                    return true;
                }
            }
        }
        gl_epi_bcast bc;
        if (!classify_operand(yt, &p->tensors[other], &bc)) return false;
        link->epi.kind = mul ? GL_EPI_MUL : add ? GL_EPI_ADD : other_pos == 1 ? GL_EPI_SUB
                                                                             : GL_EPI_RSUB;
        link->epi.bcast = bc;
        link->operand_tensor = other;
        return true;
    }
    return false;
}

static glint_status fuse_one(gl_plan *p, int cs, const gl_op *fused_op, gl_err *err) {
    gl_plan_step *conv = &p->steps[cs];
    chain_link links[GL_MAX_EPILOGUE];
    int n_links = 0, n_operands = 0;
    int y = conv->outputs[0];
    int silu_y_uses = 0;
    while (n_links < GL_MAX_EPILOGUE) {
        int only = -1;
        int c = consumers(p, y, &only);
        chain_link l;
        if (c == 2) { /* SiLU: y feeds a Sigmoid and the Mul */
            int mul_step = -1;
            for (int s = 0; s < p->n_steps; s++) {
                const gl_plan_step *st = &p->steps[s];
                if (st->op && op_is(st->op, "Mul") && st->n_inputs == 2 &&
                    (st->inputs[0] == y || st->inputs[1] == y))
                    mul_step = s;
            }
            if (mul_step < 0 || !match_link(p, y, mul_step, &l) || l.epi.kind != GL_EPI_SILU)
                break;
            silu_y_uses++;
        } else if (c != 1 || !match_link(p, y, only, &l) || l.epi.kind == GL_EPI_SILU) {
            break;
        }
        if (l.operand_tensor >= 0) {
            if (n_operands + 3 >= 16) break;
            l.epi.operand = 3 + n_operands++;
        }
        links[n_links++] = l;
        y = p->steps[l.step].outputs[0];
    }
    (void)silu_y_uses;
    if (n_links == 0) return GLINT_OK;

    gl_fused_conv_params *fp = gl_plan_alloc(p, sizeof *fp);
    if (!fp) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "fusion: out of memory");
    fp->conv = *(const gl_conv_params *)conv->params;
    fp->n_epi = n_links;
    for (int i = 0; i < n_links; i++) fp->epi[i] = links[i].epi;

    int n_in = 3 + n_operands;
    int *in = gl_malloc(p->alloc, sizeof(int) * (size_t)n_in);
    if (!in) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "fusion: out of memory");
    in[0] = conv->inputs[0];
    in[1] = conv->n_inputs > 1 ? conv->inputs[1] : -1;
    in[2] = conv->n_inputs > 2 ? conv->inputs[2] : -1;
    for (int i = 0; i < n_links; i++)
        if (links[i].operand_tensor >= 0) in[links[i].epi.operand] = links[i].operand_tensor;

    /* The last link's step becomes the fused step; the conv and the other
     * links are removed (op = NULL) and compacted by the caller. */
    gl_plan_step *last = &p->steps[links[n_links - 1].step];
    gl_free(p->alloc, last->inputs);
    last->inputs = in;
    last->n_inputs = n_in;
    last->op = fused_op;
    last->params = fp;
    last->node = conv->node;
    for (int i = 0; i < n_links - 1; i++) p->steps[links[i].step].op = NULL;
    for (int i = 0; i < n_links; i++)
        if (links[i].extra_step >= 0) p->steps[links[i].extra_step].op = NULL;
    conv->op = NULL;
    return GLINT_OK;
}

glint_status gl_plan_fuse(gl_plan *p, gl_err *err) {
    const gl_op *fused_op = gl_op_find("glint", "FusedConv");
    const gl_op *conv_op = gl_op_find("", "Conv");
    if (!fused_op || !conv_op) return GLINT_OK; /* ops not built in: nothing to fuse */
    for (int s = 0; s < p->n_steps; s++) {
        gl_plan_step *st = &p->steps[s];
        if (st->op != conv_op || st->n_outputs != 1 || st->outputs[0] < 0) continue;
        if (p->tensors[st->outputs[0]].dtype != GLINT_DTYPE_FLOAT32) continue;
        glint_status rc = fuse_one(p, s, fused_op, err);
        if (rc != GLINT_OK) return rc;
    }
    /* compact removed steps */
    int w = 0;
    for (int s = 0; s < p->n_steps; s++) {
        if (p->steps[s].op) {
            p->steps[w++] = p->steps[s];
        } else {
            gl_free(p->alloc, p->steps[s].inputs);
            gl_free(p->alloc, p->steps[s].outputs);
        }
    }
    p->n_steps = w;
    return GLINT_OK;
}
