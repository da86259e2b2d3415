"""The data contract: read a dataset directory, check it, derive the PL_* fields.

See ``data/README.md`` for the contract as users read it and :mod:`analysis.dataset` for the
canonical in-memory form.
"""

from analysis.contract.loader import dataset_from_frames, load_dataset, validate_dir
from analysis.contract.problems import DataValidationError, Problem

__all__ = ["DataValidationError", "Problem", "dataset_from_frames", "load_dataset", "validate_dir"]
