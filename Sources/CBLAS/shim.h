/* OpenBLAS's CBLAS interface (Debian's alternatives link in the default include path). */
#include <cblas.h>

/* Stops OpenBLAS's worker threads (exported by its pthread build; not in cblas.h). */
int blas_thread_shutdown_(void);
