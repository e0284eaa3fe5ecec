// OpenBLAS on the calling thread only, with its thread pool stopped.

import CBLAS

/// Makes OpenBLAS compute on the calling thread and stops its worker threads, once per process.
///
/// Kiln splits big products over its own threads (`LinearAlgebra.sgemm`); OpenBLAS's workers
/// would otherwise spin (`sched_yield`) between the many small GEMMs of a CNN, costing more
/// than the GEMMs at batch 1. Lowering the thread count is not enough: the pthread build starts
/// its workers when the library loads and they spin for about 2^28 cycles before they sleep,
/// stealing a core from short runs (a calibration of a small model takes tens of
/// milliseconds). Shutting the pool down ends them; with one thread OpenBLAS never restarts
/// it, and nothing else may set the thread count afterwards (that would restart the pool).
enum SingleThreadedBLAS {
  /// Evaluated once, by the first executor.
  static let configured: Void = {
    openblas_set_num_threads(1)
    _ = blas_thread_shutdown_()
  }()
}
