"""Extinction sources: the mwdust path on a tiny map file written by the test, the catalogue column and the
analytic dust disk, and the per-star ``ext_source`` record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad

from mwdisk.extinction import (
    CV18_COEFFS,
    EBV_SFD_TO_SF11,
    analytic_ebv,
    extinction,
    load_dust_map,
    map_available,
    radec_to_lb,
)

# HEALPix nside = 1, NESTED: the 12 base pixels have centres at z = 2/3 (pixels 0-3, phi = 45 + 90 k deg),
# z = 0 (4-7, phi = 90 k deg) and z = -2/3 (8-11, phi = 45 + 90 k deg).
B_CAP = float(np.degrees(np.arcsin(2.0 / 3.0)))
PIX_LB = [(45.0 + 90 * k, B_CAP) for k in range(4)] + [(90.0 * k, 0.0) for k in range(4)] + [
    (45.0 + 90 * k, -B_CAP) for k in range(4)]
DISTMODS = np.linspace(4, 18.875, 120)  # Combined19's distance-modulus grid


def _map_ebv(pix, d_kpc):
    """The tiny map's E(B-V) (SFD scale): linear in distance modulus, a different slope per pixel."""
    return 0.05 * (pix + 1) * (5 * np.log10(d_kpc) + 10 - 4) / 14.875


def _write_tiny_combined19(root: Path, missing_pixel: int) -> None:
    import h5py

    pix = np.array([p for p in range(12) if p != missing_pixel])
    info = np.zeros(pix.size, dtype=[("healpix_index", "<i8"), ("nside", "<i8")])
    info["healpix_index"] = pix
    info["nside"] = 1
    best = 0.05 * (pix[:, None] + 1) * (DISTMODS[None, :] - 4) / 14.875
    (root / "combined19").mkdir(parents=True)
    with h5py.File(root / "combined19" / "combine19.h5", "w") as f:
        f.create_dataset("pixel_info", data=info)
        f.create_dataset("best_fit", data=best)


_CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from mwdisk.extinction import extinction, load_dust_map
    l, b, d, cat = (np.array(v, dtype=float) for v in json.loads(sys.argv[1]))
    ag, abp, arp, src = extinction(l, b, d, cat, dust_map="Combined19", dust_dir=sys.argv[2])
    same = load_dust_map("Combined19", sys.argv[2]) is load_dust_map("Combined19", sys.argv[2])
    try:
        load_dust_map("Combined19", sys.argv[3])
        other = "no error"
    except RuntimeError as e:
        other = str(e)
    print(json.dumps({"ag": ag.tolist(), "abp": abp.tolist(), "arp": arp.tolist(), "src": src.tolist(),
                      "same": same, "other": other}))
    """
)


def test_mwdust_combined19_path_on_a_tiny_map(tmp_path):
    root, other = tmp_path / "dust", tmp_path / "dust2"
    _write_tiny_combined19(root, missing_pixel=11)
    _write_tiny_combined19(other, missing_pixel=11)
    assert map_available("Combined19", root) and not map_available("Combined19", tmp_path)
    rng = np.random.default_rng(1)
    pix = np.r_[np.arange(11), 11, 11]
    d = rng.uniform(0.1, 30.0, pix.size)
    cat = np.full(pix.size, np.nan)
    cat[[0, 11]] = 0.7  # a catalogue value is ignored where the map answers, used where it does not
    glon = np.array([PIX_LB[p][0] for p in pix])
    b = np.array([PIX_LB[p][1] for p in pix])
    env = {k: v for k, v in os.environ.items() if k != "DUST_DIR"}
    res = subprocess.run([sys.executable, "-c", _CHILD, json.dumps([glon.tolist(), b.tolist(), d.tolist(),
                                                                     cat.tolist()]), str(root), str(other)],
                         capture_output=True, text=True, env=env, timeout=120, check=True)
    out = json.loads(res.stdout.strip().splitlines()[-1])
    src = np.array(out["src"])
    assert list(src[:11]) == ["mwdust:Combined19"] * 11
    assert list(src[11:]) == ["catalog", "analytic"]
    ebv = _map_ebv(pix[:11], d[:11]) * EBV_SFD_TO_SF11
    for key, c in zip(("ag", "abp", "arp"), CV18_COEFFS, strict=True):
        np.testing.assert_allclose(np.array(out[key])[:11], c * ebv, rtol=1e-10)
    np.testing.assert_allclose(np.array(out["ag"])[11], 0.7)
    np.testing.assert_allclose(
        out["ag"][12], CV18_COEFFS[0] * analytic_ebv(glon[12], b[12], d[12]), rtol=1e-12
    )
    assert out["same"] is True  # loaded once per process
    assert "DUST_DIR" in out["other"]  # a second folder in one process is refused, naming the fix


def test_no_map_files_falls_back_to_catalog_then_analytic(tmp_path):
    assert not map_available("Combined19", tmp_path)
    glon = np.array([10.0, 200.0, 30.0, 40.0])
    b = np.array([1.0, -5.0, 60.0, 2.0])
    d = np.array([1.0, 2.0, 0.5, np.nan])
    cat = np.array([0.3, np.nan, np.nan, np.nan])
    ag, abp, arp, src = extinction(glon, b, d, cat, dust_dir=tmp_path)
    assert list(src) == ["catalog", "analytic", "analytic", "none"]
    np.testing.assert_allclose([ag[0], abp[0], arp[0]], 0.3 * np.array(CV18_COEFFS) / CV18_COEFFS[0])
    e = analytic_ebv(glon[1:3], b[1:3], d[1:3])
    np.testing.assert_allclose(np.c_[ag, abp, arp][1:3], e[:, None] * np.array(CV18_COEFFS)[None, :])
    assert np.isnan(ag[3])
    # the fallback order is configurable
    _, _, _, src = extinction(glon, b, d, cat, dust_dir=tmp_path, fallback=["analytic", "catalog"])
    assert list(src) == ["analytic", "analytic", "analytic", "none"]
    _, _, _, src = extinction(glon, b, d, cat, dust_map=None, fallback=[])
    assert list(src) == ["none"] * 4
    with pytest.raises(ValueError, match="fallback"):
        extinction(glon, b, d, fallback=["sfd"])
    with pytest.raises(ValueError, match="dust_map"):
        extinction(glon, b, d, dust_map="Bogus19")
    with pytest.raises(FileNotFoundError, match="combine19.h5"):
        load_dust_map("Combined19", tmp_path)


def _brute(glon, b, d, R0=8.27, hR=5.0, hz=0.1, av=1.0, rv=3.1):
    lr, br = np.radians(glon), np.radians(b)

    def f(s):
        X = -R0 + s * np.cos(br) * np.cos(lr)
        Y = s * np.cos(br) * np.sin(lr)
        return np.exp(-(np.hypot(X, Y) - R0) / hR - abs(s * np.sin(br)) / hz)

    pts = [p for p in (0.05, 0.2, 0.5, 1.0) if p < d]
    return av / rv * quad(f, 0, d, limit=500, points=pts or None, epsabs=0, epsrel=1e-11)[0]


@pytest.mark.parametrize("glon,b,d", [(0, 0, 1), (30, 2, 5), (120, -10, 3), (200, 45, 2), (10, 0.5, 12),
                                   (300, -80, 0.05), (90, 20, 0.3)])
def test_analytic_model_matches_brute_force_integral(glon, b, d):
    np.testing.assert_allclose(analytic_ebv(glon, b, d), _brute(glon, b, d), rtol=1e-4)


def test_analytic_model_limits():
    # towards the pole R stays R0: the exact barometric column
    d = np.array([0.01, 0.1, 1.0, 10.0])
    np.testing.assert_allclose(analytic_ebv(0.0, 90.0, d), 1.0 / 3.1 * 0.1 * -np.expm1(-d / 0.1), rtol=1e-12)
    # midplane at the Sun: 1 mag/kpc in V
    np.testing.assert_allclose(analytic_ebv(90.0, 0.0, 1e-4) * 3.1 / 1e-4, 1.0, rtol=1e-4)
    assert analytic_ebv(0.0, 0.0, 0.0) == 0.0
    assert np.isnan(analytic_ebv(0.0, 0.0, -1.0))


def test_radec_to_lb_galactic_centre():
    glon, b = radec_to_lb(np.array([266.4049882865447, np.nan]), np.array([-28.93617776179147, 0.0]))
    assert abs((glon[0] + 180) % 360 - 180) < 1e-4 and abs(b[0]) < 1e-4
    assert np.isnan(glon[1])


def test_analytic_model_does_not_depend_on_the_batch():
    """A star's extinction is the same in any partition: whole, in chunks of any size, or alone."""
    rng = np.random.default_rng(11)
    n = 3001
    glon, b, d = rng.uniform(0, 360, n), rng.uniform(-60, 60, n), rng.uniform(0, 5, n)
    whole = analytic_ebv(glon, b, d)
    for size in (1, 3, 7, 450, 1000):
        idx = np.arange(0, n, 13) if size == 1 else np.arange(n)
        got = np.concatenate([analytic_ebv(glon[idx][i:i + size], b[idx][i:i + size], d[idx][i:i + size])
                              for i in range(0, idx.size, size)])
        np.testing.assert_array_equal(got, whole[idx])
