"""Options of the mock: :class:`MockOptions` (every model, survey and defect setting, with its default and
source) and the list of truth columns the mock writes.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field

from mwdisk.frame import GalacticFrame

__all__ = ["MockOptions", "TRUTH_COLUMNS"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MockOptions:
    """Every option of the mock, with its default and source.

    Sizes and switches: ``n`` stars (60000: `mwdisk run` in < 5 min), ``seed``, ``isochrones`` family that
    makes the stars ("dsep" | "parsec"), ``with_true_zmax`` (orbit integration for true_zmax_kpc, default
    True), ``integration_time_gyr`` (3.0, METHOD.md section 4 CHOICE), ``integration_steps`` (3001),
    ``potential`` ("mw14"), ``frame`` (:class:`GalacticFrame`, Schoenrich & Aumer 2017).

    Injected chemistry (paper's findings): ``thin_gradient`` -0.075 dex/kpc at 1 Gyr, ``thin_flattening``
    +0.003 dex/kpc/Gyr, ``thick_gradient`` +0.02 dex/kpc; [Fe/H] at R0 ``thin_feh0`` +0.05 at 1 Gyr falling
    ``thin_amr_slope`` -0.025 dex/Gyr (a flat local age-metallicity relation with large scatter, Casagrande et
    al. 2011), ``thick_feh0`` -0.45 at 10 Gyr, ``thick_amr_slope`` -0.10 dex/Gyr; intrinsic scatter
    ``thin_feh_scatter`` 0.10 and ``thick_feh_scatter`` 0.10 dex. [alpha/Fe]: thin ``thin_afe0`` 0.0 +
    ``thin_afe_age`` 0.005 dex/Gyr * age + ``thin_afe_feh`` -0.08 [Fe/H], scatter 0.02; thick ``thick_afe0``
    0.20 at [Fe/H] = -0.5 with slope ``thick_afe_feh`` -0.15, scatter 0.03 (Bensby et al. 2014; Hayden et
    al. 2015).

    Populations: ``thick_fraction`` 0.12 (thick share of the local surface density; BHG16 12 +- 4 %); thin
    ages uniform (constant star formation) in ``thin_age_min_gyr``..``thin_age_max_gyr`` = 1..12; thick
    uniform in 8..13 Gyr (Haywood et al. 2013); ``young_fraction`` 0.0 of the thin disk with ages uniform in
    ``young_age_min_gyr`` 0.1..1 Gyr (option: the grid starts at 1 Gyr); ``young_alpha_rich_fraction`` 0.0 of
    the thick disk re-aged uniform in 1..4 Gyr keeping thick chemistry and kinematics (option; Chiappini et
    al. 2015, Martig et al. 2015). Structure and kinematics: see :mod:`mwdisk.mock.populations` (BHG16 scale
    lengths and heights, Sharma et al. 2021 dispersion relation, Soubiran et al. 2003 thick-disk dispersions).

    Stars: Kroupa (2001) IMF between ``mass_min_msun`` 0.6 (K dwarfs, Teff ~ 4000 K, the cool end of
    DD-Payne) and the grid's largest initial mass.

    Survey: footprint ``dec_min_deg``..``dec_max_deg`` = -10..60 (LAMOST), ``g_mag_min``..``g_mag_max`` 9..17
    (LAMOST's 9 < r < 17.8, as G), stars within ``dist_max_kpc`` 5 kpc of the Sun. Dust, SNR, error models:
    see :mod:`mwdisk.mock.observe`. Data defects: ``duplicate_fraction`` 0.05 of stars observed twice, the
    repeat within ``duplicate_max_offset_arcsec`` 1.0 arcsec; ``bad_fraction`` 0.0 of rows with one of
    :data:`~mwdisk.mock.defects.DEFECTS` (chosen uniformly).
    """

    n: int = 60000
    seed: int = 20210615
    isochrones: str = "dsep"
    potential: str = "mw14"
    frame: GalacticFrame = field(default_factory=GalacticFrame)
    with_true_zmax: bool = True
    integration_time_gyr: float = 3.0
    integration_steps: int = 3001
    # injected chemistry
    thin_gradient: float = -0.075
    thin_flattening: float = 0.003
    thick_gradient: float = 0.02
    thin_feh0: float = 0.05
    thin_amr_slope: float = -0.025
    thick_feh0: float = -0.45
    thick_amr_slope: float = -0.10
    thin_feh_scatter: float = 0.10
    thick_feh_scatter: float = 0.10
    thin_afe0: float = 0.0
    thin_afe_age: float = 0.005
    thin_afe_feh: float = -0.08
    thin_afe_scatter: float = 0.02
    thick_afe0: float = 0.20
    thick_afe_feh: float = -0.15
    thick_afe_scatter: float = 0.03
    # populations
    thick_fraction: float = 0.12
    thin_age_min_gyr: float = 1.0
    thin_age_max_gyr: float = 12.0
    thick_age_min_gyr: float = 8.0
    thick_age_max_gyr: float = 13.0
    young_fraction: float = 0.0
    young_age_min_gyr: float = 0.1
    young_alpha_rich_fraction: float = 0.0
    young_alpha_rich_age_min_gyr: float = 1.0
    young_alpha_rich_age_max_gyr: float = 4.0
    thin_h_R_kpc: float = 2.6
    thin_h_z10_kpc: float = 0.30
    thin_sigma_R10_kms: float = 39.0
    thin_beta_R: float = 0.25
    thin_sigma_z10_kms: float = 21.0
    thin_beta_z: float = 0.44
    thin_R_sigma_kpc: float = 5.2
    thick_h_R_kpc: float = 2.0
    thick_h_z_kpc: float = 0.90
    thick_sigma_R_kms: float = 63.0
    thick_sigma_z_kms: float = 39.0
    thick_R_sigma_kpc: float = math.inf
    mass_min_msun: float = 0.6
    # survey
    dec_min_deg: float = -10.0
    dec_max_deg: float = 60.0
    g_mag_min: float = 9.0
    g_mag_max: float = 17.0
    dist_max_kpc: float = 5.0
    # dust (the mock's own model, see observe.py)
    dust_av_per_kpc: float = 0.8
    dust_h_R_kpc: float = 2.5
    dust_h_z_kpc: float = 0.134
    dust_clump_sigma: float = 0.4
    dust_clump_scale_deg: float = 5.0
    ag_cat_err_floor_mag: float = 0.05
    ag_cat_err_frac: float = 0.10
    # spectroscopy
    snr_at_ref: float = 50.0
    snr_ref_g_mag: float = 15.0
    snr_slope_dex_per_mag: float = 0.32
    snr_scatter_dex: float = 0.12
    snr_max: float = 2000.0
    teff_err_k: float = 22.6
    logg_err: float = 0.05
    feh_err: float = 0.03
    afe_err: float = 0.02
    spec_err_snr_scale: float = 15.0
    rv_err_floor_kms: float = 3.5
    rv_err_snr_coeff_kms: float = 100.0
    # astrometry and distances
    gaia_err_scatter_dex: float = 0.1
    gaia_corr_scale: float = 0.5
    dist_frac_err_cap: float = 0.35
    # defects
    duplicate_fraction: float = 0.05
    duplicate_max_offset_arcsec: float = 1.0
    bad_fraction: float = 0.0
    max_proposals: int = 1_000_000

    def __post_init__(self) -> None:
        for name in ("thick_fraction", "young_fraction", "young_alpha_rich_fraction", "duplicate_fraction",
                     "bad_fraction"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"mock option {name} = {v!r} must be a fraction in [0, 1]")
        if self.n < 0 or self.seed < 0:
            raise ValueError(f"mock n = {self.n} and seed = {self.seed} must be non-negative integers")
        if not 0 < self.dist_max_kpc < self.frame.R0_kpc:
            raise ValueError(f"dist_max_kpc = {self.dist_max_kpc} must be in (0, R0 = {self.frame.R0_kpc})")
        if not (self.g_mag_min < self.g_mag_max and self.dec_min_deg < self.dec_max_deg):
            raise ValueError("need g_mag_min < g_mag_max and dec_min_deg < dec_max_deg (mock survey limits)")
        if not 0 <= self.duplicate_max_offset_arcsec < 5.0:
            raise ValueError(f"duplicate_max_offset_arcsec = {self.duplicate_max_offset_arcsec}: "
                             "repeats must " "lie within 5 arcsec (the ingest de-duplication radius)")

    def as_dict(self) -> dict:
        """Plain dict for provenance (the frame as its own dict)."""
        d = dataclasses.asdict(self)
        d["frame"] = self.frame.as_dict()
        return d


#: Truth columns written by :func:`~mwdisk.mock.generate.generate_partition` (besides the canonical
#: schema columns).
TRUTH_COLUMNS = (
    "true_population", "true_young_alpha_rich", "true_age_gyr", "true_chem_age_gyr", "true_feh", "true_afe",
    "true_mh", "true_mass_msun", "true_teff_k", "true_logg", "true_abs_g_mag", "true_g_mag", "true_bp_mag",
    "true_rp_mag", "true_A_V_mag", "true_A_G_mag", "true_A_BP_mag", "true_A_RP_mag", "true_dist_pc",
    "true_ra_deg", "true_dec_deg", "true_parallax_mas", "true_pmra_masyr", "true_pmdec_masyr", "true_rv_kms",
    "true_X_kpc", "true_Y_kpc", "true_R_kpc", "true_z_kpc", "true_vR_kms", "true_vphi_kms", "true_vz_kms",
    "true_Lz_kpckms", "true_rg_kpc", "true_zmax_kpc", "true_obs_index", "true_defect", "true_n_proposals",
)
