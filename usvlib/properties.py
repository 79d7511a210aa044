"""The one vocabulary of per-USV properties: column, label, unit, kind and classes.

Every module and notebook that names a property reads it here: the estimators
(``usvlib.features``), the loader of the Donders table (``usvlib.dataset``), the statistics of
Fig 2, the property networks of Fig 4 and the results' keys.

Two tables carry properties, one row per USV:

* **usvlib's call table** (``extract_dataset(...).table``): the 24 properties that
  ``usvlib.features`` measures on each call's spectrogram, under unit-suffixed columns
  (``EXTENDED_COLUMNS``); the paper's nine are the first nine (``PROPERTY_COLUMNS``).
* **the paper's per-USV table** (the Donders ``features_...csv``): the same nine, three measured
  by the authors and six labelled by a human (``Property.donders_column``). The loader renames
  its columns to ``Property.table_column``, which is usvlib's column for every property but the
  volume: the authors' ``avgvol`` is a mean spectrogram magnitude in their own units (the
  synthetic table writes dBFS there), kept as ``volume``; usvlib's own level is ``volume_dbfs``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MEASURED = "measured"
LABEL = "label"


@dataclass(frozen=True)
class Property:
    """One per-USV property.

    Attributes
    ----------
    column : str
        Column of usvlib's call table, unit-suffixed (``duration_s``).
    label : str
        For axes and tables (``"duration"``).
    unit : str
        Unit of ``column`` (``"s"``, ``"Hz"``, ``"dBFS"``; ``""`` for counts and classes).
    kind : {"measured", "label"}
        Measured on the spectrogram, or a human label in the paper's table (estimated by
        usvlib on its own calls).
    definition : str
        How usvlib computes it (``usvlib.features``).
    name : str
        The paper's name, used in result keys (``fig2.<name>.p_holm``); empty for the 15
        properties usvlib adds.
    donders_column : str
        Column of the Donders per-USV table (``avgfreq``); empty where it has none.
    table_column : str
        Where the loaded Donders table keeps it (``column`` except for the volume).
    table_unit : str
        Unit of ``table_column``.
    paper_differs : bool or None
        Whether the paper found a sex difference (Fig 2); None outside the nine.
    classes : tuple of int
        A label's values, in class order (Fig 4A-E); empty for continuous properties.
    present_above : float or None
        A continuous label read as two classes, absent / present above this value (broadband).
    """

    column: str
    label: str
    unit: str
    kind: str
    definition: str
    name: str = ""
    donders_column: str = ""
    table_column: str = ""
    table_unit: str = ""
    paper_differs: bool | None = None
    classes: tuple[int, ...] = ()
    present_above: float | None = None

    @property
    def n_classes(self) -> int:
        """Number of classes of a label (2 for a continuous label read as absent/present)."""
        return 2 if self.present_above is not None else len(self.classes)

    def axis_label(self) -> str:
        """``"duration (s)"``: the label with the unit of the paper's table, if it has one."""
        unit = self.table_unit if self.table_column else self.unit
        return f"{self.label} ({unit})" if unit else self.label

    def to_class(self, values) -> np.ndarray:
        """A label's values as class indices 0..n_classes-1 (counts above the last are clipped).

        Raises
        ------
        ValueError
            For a property that has no classes.
        """
        if self.present_above is not None:
            return (np.asarray(values, float) > self.present_above).astype(int)
        if not self.classes:
            raise ValueError(f"{self.column} is continuous: it has no classes")
        return np.clip(np.asarray(values, int) - self.classes[0], 0, len(self.classes) - 1)


def _paper(column, label, unit, kind, definition, name, donders, differs, table_column="", table_unit=None, **kw):
    return Property(
        column,
        label,
        unit,
        kind,
        definition,
        name=name,
        donders_column=donders,
        table_column=table_column or column,
        table_unit=unit if table_unit is None else table_unit,
        paper_differs=differs,
        **kw,
    )


PAPER_PROPERTIES: tuple[Property, ...] = (
    _paper("duration_s", "duration", "s", MEASURED, "offset minus onset", "duration", "duration", True),
    _paper(
        "mean_freq_hz",
        "mean frequency",
        "Hz",
        MEASURED,
        "mean over voiced frames of the power-weighted mean frequency (the paper's avgfreq)",
        "mean_frequency",
        "avgfreq",
        False,
    ),
    _paper(
        "volume_dbfs",
        "volume",
        "dBFS",
        MEASURED,
        "the call's RMS level re full scale, from its power above the background",
        "volume",
        "avgvol",
        True,
        table_column="volume",
        table_unit="a.u.",
    ),
    _paper(
        "direction",
        "direction",
        "",
        LABEL,
        "-1/0/+1: the spectral line's change over its main part, last 15 % against first 15 %",
        "direction",
        "direction",
        False,
        classes=(-1, 0, 1),
    ),
    _paper(
        "peaks",
        "peaks",
        "",
        LABEL,
        "0-3: maxima of the smoothed spectral line above a prominence",
        "peaks",
        "peaks",
        True,
        classes=(0, 1, 2, 3),
    ),
    _paper(
        "breaks",
        "breaks",
        "",
        LABEL,
        "0-3: jumps of the spectral line between voiced frames",
        "breaks",
        "breaks",
        True,
        classes=(0, 1, 2, 3),
    ),
    _paper(
        "broadband",
        "broadband",
        "",
        LABEL,
        "[0, 1]: share of the call's excess power away from the spectral line and its harmonic",
        "broadband",
        "broadband",
        True,
        present_above=0.0,
    ),
    _paper(
        "tremolo",
        "tremolo",
        "",
        LABEL,
        "0/1: a periodic 45-120 Hz modulation of the detrended spectral line",
        "tremolo",
        "tremolo",
        True,
        classes=(0, 1),
    ),
    _paper(
        "complex",
        "complex",
        "",
        LABEL,
        "0/1: a second harmonic, or peaks + breaks >= 2",
        "complex",
        "complex",
        True,
        classes=(0, 1),
    ),
)
"""The paper's nine, in the order of its table and of Fig 2 A-I."""

_EXTRA = (
    ("min_freq_hz", "minimum frequency", "Hz", "2nd percentile of the spectral line"),
    ("max_freq_hz", "maximum frequency", "Hz", "98th percentile of the spectral line"),
    ("freq_range_hz", "frequency range", "Hz", "maximum minus minimum frequency"),
    ("start_freq_hz", "start frequency", "Hz", "median of the line's first 15 %"),
    ("stop_freq_hz", "stop frequency", "Hz", "median of the line's last 15 %"),
    ("slope_hz_per_s", "slope", "Hz/s", "least-squares slope of the spectral line"),
    ("curvature_hz", "curvature", "Hz", "quadratic coefficient of the line over the call's normalised time"),
    ("line_sd_hz", "spectral-line SD", "Hz", "standard deviation of the spectral line"),
    ("line_skewness", "spectral-line skewness", "", "skewness of the spectral line"),
    ("line_kurtosis", "spectral-line kurtosis", "", "excess kurtosis of the spectral line"),
    ("purity", "spectral purity", "", "mean share of a voiced frame's power in its loudest bin"),
    ("snr_db", "SNR", "dB", "median power of the line over the noise"),
    ("peak_freq_hz", "frequency of the loudest point", "Hz", "row of the largest excess power"),
    ("peak_time_frac", "time of the highest frequency", "", "where in the call (0-1) the line is highest"),
    ("harmonic_db", "second-harmonic level", "dB", "second harmonic re the fundamental (-40 when absent)"),
)

EXTENDED_PROPERTIES: tuple[Property, ...] = PAPER_PROPERTIES + tuple(
    Property(column, label, unit, MEASURED, definition) for column, label, unit, definition in _EXTRA
)
"""All 24 properties usvlib measures, the paper's nine first."""

PROPERTIES: dict[str, Property] = {p.column: p for p in EXTENDED_PROPERTIES}
"""Every property by its call-table column."""

PROPERTY_COLUMNS: tuple[str, ...] = tuple(p.column for p in PAPER_PROPERTIES)
"""Call-table columns of the paper's nine."""

EXTENDED_COLUMNS: tuple[str, ...] = tuple(p.column for p in EXTENDED_PROPERTIES)
"""Call-table columns of all 24."""

LABEL_COLUMNS: tuple[str, ...] = tuple(p.column for p in PAPER_PROPERTIES if p.kind == LABEL)
"""The six properties the paper's table has from a human labeller."""

PAPER_TABLE_COLUMNS: tuple[str, ...] = tuple(p.table_column for p in PAPER_PROPERTIES)
"""Columns of the loaded Donders table that hold the nine (``volume`` for the volume)."""

DONDERS_COLUMNS: dict[str, str] = {
    "fileid": "usv_id",
    "animalid": "animal_id",
    "sex": "sex",
    **{p.donders_column: p.table_column for p in PAPER_PROPERTIES},
}
"""Donders column -> column of the loaded table."""


def paper_property(name: str) -> Property:
    """One of the paper's nine by its name (``"mean_frequency"``), table column or column.

    Parameters
    ----------
    name : str
        The paper's name (``"volume"``), the loaded Donders table's column (``"volume"``) or the
        call table's column (``"volume_dbfs"``).

    Returns
    -------
    Property

    Raises
    ------
    KeyError
        With the names there are.

    Examples
    --------
    >>> paper_property("mean_freq_hz").donders_column
    'avgfreq'
    """
    for p in PAPER_PROPERTIES:
        if name in (p.name, p.table_column, p.column):
            return p
    raise KeyError(f"no paper property {name!r}: one of {', '.join(p.name for p in PAPER_PROPERTIES)}")


def label_properties() -> tuple[Property, ...]:
    """The six labelled properties (the spectrogram -> property networks of Fig 4A-E).

    Returns
    -------
    tuple of Property
        Those whose ``kind`` is ``"label"``, in the paper's order: direction, peaks, breaks,
        broadband, tremolo, complex.
    """
    return tuple(p for p in PAPER_PROPERTIES if p.kind == LABEL)
