"""The exercises' reference implementations and planted mistakes (NumPy from the papers' formulas), one module
per group of notebooks, written as checkers over :func:`course_lib.exercises.check_function`.

Students' checkers (``course_lib.exercises.*``) do not import these: ``instructor/store_expected.py`` runs each
checker here once with a recorder in place of ``check_function`` and stores, for its fixed cases, the
reference outputs and those of every planted mistake in ``course_lib/exercises/expected.npz``.
"""

MODULES = (
    "foundations",
    "training",
    "dehazing",
    "super_resolution",
    "low_light",
    "knowledge_transfer",
    "hdr",
)
