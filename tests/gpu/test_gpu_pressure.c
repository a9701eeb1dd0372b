/* A run while another process holds all but 2 GB of the card: the test
 * starts itself again as a holder ("--hold"), which allocates the free
 * memory minus 2 GiB and waits; then the model runs on CUDA (FP32 and FP16)
 * and must still match the CPU within tolerance. */
#include <cuda_runtime_api.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gpu_model_util.h"
#include "gpu_util.h"

static int hold(void) {
    size_t free_b = 0, total_b = 0;
    if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) return 2;
    size_t keep = (size_t)2 << 30;
    size_t take = free_b > keep ? free_b - keep : 0;
    void *p = NULL;
    /* Large blocks first, then smaller ones, until the target is held. */
    size_t held = 0, chunk = (size_t)1 << 30;
    while (held < take && chunk >= ((size_t)1 << 20)) {
        size_t want = GL_MIN(chunk, take - held);
        if (cudaMalloc(&p, want) == cudaSuccess) held += want;
        else { (void)cudaGetLastError(); chunk /= 2; }
    }
    printf("held %zu of %zu free bytes\n", held, free_b);
    fflush(stdout);
    char buf[16];
    while (read(0, buf, sizeof buf) > 0) {}
    return 0;
}

static bool run_model(const char *path, glint_device dev, glint_precision prec, gm_io *io,
                      char *err, size_t errn) {
    glint_engine *e = NULL;
    glint_context *c = NULL;
    glint_status st = gm_engine(path, dev, prec, 0, 0, &e, err, errn);
    if (!st) st = glint_context_create(e, &c, err, errn);
    if (!st && gm_run(c, io)) {
        snprintf(err, errn, "%s", glint_context_last_error(c));
        st = GLINT_ERR_DEVICE;
    }
    glint_context_free(c);
    glint_engine_free(e);
    return st == GLINT_OK;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "--hold")) return hold();
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines reach the log even if a case crashes */
    gu_require_gpu();
    tl_seed_from_env();
    char models[GM_MAX_MODELS][512];
    int nm = gm_find_models(models, GM_MAX_MODELS);
    if (!nm) tl_skip("no models found");
    const char *path = models[0];
    for (int m = 0; m < nm; m++)
        if (strstr(models[m], "generator")) path = models[m];

    int to_child[2], from_child[2];
    if (pipe(to_child) || pipe(from_child)) { perror("pipe"); return 1; }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[1]);
        close(from_child[0]);
        execl("/proc/self/exe", argv[0], "--hold", (char *)NULL);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    char line[256] = "";
    FILE *f = fdopen(from_child[0], "r");
    bool held = f && fgets(line, sizeof line, f) && !strncmp(line, "held", 4);
    line[strcspn(line, "\n")] = 0;
    CHECK_MSG(held, "holder process did not start: '%s'", line);
    printf("holder: %s\n", line);

    glint_engine *probe = NULL;
    char err[512] = "";
    gm_io io;
    memset(&io, 0, sizeof io);
    if (!gm_engine(path, GLINT_DEVICE_CPU, GLINT_PRECISION_FP32, 0, 0, &probe, err, sizeof err)) {
        gm_make_io(probe, 8, 64, &io);
        glint_engine_free(probe);
    }
    gm_alloc_out(&io, 8, 64);
    bool ok = io.n_in > 0 && run_model(path, GLINT_DEVICE_CPU, GLINT_PRECISION_FP32, &io, err, sizeof err);
    size_t n = ok ? gm_out_elems(&io.out[0]) : 0;
    float *ref = malloc((n ? n : 1) * sizeof(float));
    if (ok) memcpy(ref, io.out[0].data, n * sizeof(float));
    CHECK_MSG(ok, "CPU reference: %s", err);
    for (int p = 0; ok && p < 2; p++) {
        glint_precision prec = p ? GLINT_PRECISION_FP16 : GLINT_PRECISION_FP32;
        bool r = run_model(path, GLINT_DEVICE_CUDA, prec, &io, err, sizeof err);
        char fig[160] = "";
        bool same = r && gu_model_parity(io.out[0].data, ref, n, prec, fig, sizeof fig);
        printf("%s pressure %s batch 8 64x64 with all but 2 GiB held: %s %s\n",
               same ? "PASS" : "FAIL", glint_precision_name(prec), r ? "ran" : err, fig);
        CHECK(same);
    }
    free(ref);
    gm_free_io(&io);
    close(to_child[1]);
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) kill(pid, SIGKILL);
    if (f) fclose(f);
    return TEST_END();
}
