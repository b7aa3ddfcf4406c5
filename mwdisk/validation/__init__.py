"""Validation against real catalogues: asteroseismic ages (paper Fig. 4), published orbits, open clusters
(Fig. 1).

Pure functions on tables read from a data folder given as an argument (never a fixed path):

- :mod:`.data`: loaders of APOKASC-3, Miglio+2021, Montalban+2021, Dias 2021 / Cantat-Gaudin / Hunt tables;
- :mod:`.magnitudes`: M_G of stars with 2MASS Ks only, through MIST bolometric corrections;
- :mod:`.seismic`: our ages of the APOKASC-3 x Miglio red giants and their comparison;
- :mod:`.orbitcheck`: our Z_max, R_peri, R_apo against Miglio's;
- :mod:`.clusters`: cluster members by position, distance and [Fe/H]; offsets against Dias 2021;
- :mod:`.stats`, :mod:`.figures`; :func:`run_validation` runs everything and writes ``OUT/validation/``.
"""

from .clusters import cluster_age_table, clusters_addable, select_members
from .data import load_cluster_tables, load_miglio, load_montalban, load_seismic_join
from .magnitudes import mg_from_ks, read_bc_bands
from .orbitcheck import miglio_to_cartesian, orbit_comparison_table, orbits_from_catalog, orbits_from_miglio
from .run import FIG3_STATEMENT, MONTALBAN_COLUMNS, run_validation
from .seismic import seismic_age_inputs, seismic_age_table, seismic_ages
from .stats import age_comparison_table, robust_offset_scatter

__all__ = [
    "run_validation",
    "FIG3_STATEMENT",
    "MONTALBAN_COLUMNS",
    "load_seismic_join",
    "load_miglio",
    "load_montalban",
    "load_cluster_tables",
    "read_bc_bands",
    "mg_from_ks",
    "seismic_age_inputs",
    "seismic_ages",
    "seismic_age_table",
    "age_comparison_table",
    "robust_offset_scatter",
    "miglio_to_cartesian",
    "orbits_from_miglio",
    "orbits_from_catalog",
    "orbit_comparison_table",
    "select_members",
    "cluster_age_table",
    "clusters_addable",
]
