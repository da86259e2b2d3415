"""London residential provision under-use: the analysis package.

All pipeline logic lives here; notebooks in ``notebooks/`` are thin narratives that call it.
"""

__version__ = "0.1.0"
