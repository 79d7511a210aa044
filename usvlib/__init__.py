"""usvlib: classify sex and strain from mouse ultrasonic vocalisations (Ivanenko et al. 2020)."""

__version__ = "0.1.0"
