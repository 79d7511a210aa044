"""One seed drives everything: named, independent random streams derived from it.

``rng_for(seed, "synth", "Rfem_Afem01", "calls")`` always gives the same stream for the same
names, whatever else was drawn before and in whichever process, so that parallel generation is
byte-for-byte reproducible.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str | int) -> int:
    if isinstance(name, (int, np.integer)):
        return int(name)
    return int.from_bytes(hashlib.sha256(str(name).encode()).digest()[:8], "little")


def seed_sequence(seed: int, *names: str | int) -> np.random.SeedSequence:
    """A SeedSequence for ``seed`` and a path of names."""
    return np.random.SeedSequence(entropy=int(seed), spawn_key=tuple(_name_key(n) for n in names))


def rng_for(seed: int, *names: str | int) -> np.random.Generator:
    """A NumPy generator (PCG64DXSM: fast normals) for ``seed`` and a path of names."""
    return np.random.Generator(np.random.PCG64DXSM(seed_sequence(seed, *names)))
