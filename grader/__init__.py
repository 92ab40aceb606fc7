"""grader: an autograder for convolutional-neural-network numpy exercises."""

import os

__version__ = "0.1.0"

# The grader itself runs many small array computations (reference answers,
# mutants, comparisons). Threads of a BLAS library would only spin after each
# one, taking the CPU from the sandboxed child being graded: one thread each,
# unless the operator says otherwise. (Effective when numpy is imported after
# this package, as the `grader` command does.)
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
del _variable
