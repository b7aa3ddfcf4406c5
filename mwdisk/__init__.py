"""mwdisk: age-resolved metallicity gradients of the Milky Way disk at scale.

Reproduces and extends the pipeline of Vickers, Shen & Li (2021).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
