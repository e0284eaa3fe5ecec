/* OpenBLAS's CBLAS interface, found through pkg-config (openblas). */
#include <cblas.h>

/* Stops OpenBLAS's worker threads (exported by its pthread build; not in cblas.h). */
int blas_thread_shutdown_(void);
