import json

import numpy as np
import pandas as pd
import pytest

from factory import make_catalog, write_partitioned
from mwdisk import ingest as kern
from mwdisk.config import load_config
from mwdisk.pipelines.ingest import run_ingest
from mwdisk.schema import SchemaError


def _cfg(tmp_path, rows=3000, **extra):
    sets = [f"run.partition_rows={rows}", f"run.out={tmp_path / 'out'}"]
    return load_config(overrides=sets + [f"{k}={v}" for k, v in extra.items()])


def _best_rows(df):
    """Reference: per source_id (every duplicate here shares it), the highest total SNR, ties lowest
    obs_id."""
    d = df.assign(s=kern.snr_total(df)).sort_values(["s", "obs_id"], ascending=[False, True])
    return set(d.drop_duplicates("source_id")["obs_id"])


def test_dedup_kernel_keeps_highest_snr():
    df = make_catalog(300, seed=5, dup_fraction=0.3)
    kept, dups = kern.deduplicate(df, 5.0)
    assert set(kept["obs_id"]) == _best_rows(df)
    assert len(kept) + len(dups) == len(df)
    # every removed row names a kept winner within 5 arcsec
    assert set(dups["dup_of_obs_id"]) <= set(kept["obs_id"])


def test_dedup_radius_is_respected():
    df = make_catalog(2, seed=1)
    df.loc[1, ["ra_deg", "dec_deg"]] = df.loc[0, ["ra_deg", "dec_deg"]].to_numpy()
    df.loc[1, "dec_deg"] += 5.5 / 3600  # 5.5 arcsec: two stars
    kept, _ = kern.deduplicate(df, 5.0)
    assert len(kept) == 2
    df.loc[1, "dec_deg"] -= 1.0 / 3600  # 4.5 arcsec: one star
    kept, _ = kern.deduplicate(df, 5.0)
    assert len(kept) == 1


def test_dedup_across_partition_and_strip_boundaries(tmp_path):
    cat = make_catalog(6000, seed=11, dup_fraction=0.1)
    # pairs placed straddling every declination strip edge the run will choose, 1 arcsec apart
    cfg = _cfg(tmp_path, rows=1500)
    hist = kern.dec_histogram(cat["dec_deg"].to_numpy(), cfg["ingest"]["dec_bin_deg"])
    edges = kern.strip_edges(hist, cfg["ingest"]["dec_bin_deg"], int(np.ceil((len(cat) + 40) / 1500)))
    extra = []
    rng = np.random.default_rng(2)
    for k, e in enumerate(edges[1:-1]):
        for j in range(4):
            base = make_catalog(1, seed=100 + 10 * k + j, start_id=50_000 + 10 * k + j).iloc[0].copy()
            a, b = base.copy(), base.copy()
            a["dec_deg"], b["dec_deg"] = e - 0.5 / 3600, e + 0.5 / 3600
            b["snr_g"] = a["snr_g"] + rng.uniform(1, 5) * (1 if j % 2 else -1)
            extra += [a, b]
    extra = pd.DataFrame(extra)
    cat = pd.concat([cat.drop(columns="obs_id"), extra.drop(columns="obs_id")], ignore_index=True)
    cat.insert(0, "obs_id", np.arange(len(cat), dtype=np.int64) + 1)
    cat = cat.astype({"source_id": "int64"})
    write_partitioned(cat, tmp_path / "cat", 5)
    s = run_ingest(None, cfg, tmp_path / "cat", tmp_path / "out")
    assert s["n_partitions"] > 3
    got = pd.read_parquet(tmp_path / "out" / "ingest")
    assert got["source_id"].is_unique
    assert set(got["obs_id"]) == _best_rows(cat)
    dups = pd.read_parquet(tmp_path / "out" / "duplicates")
    assert len(got) + len(dups) == len(cat)
    # the same catalogue in one file and with other strips gives the same stars, row for row
    write_partitioned(cat, tmp_path / "cat1", 1)
    cfg1 = _cfg(tmp_path / "b", rows=4000)
    run_ingest(None, cfg1, tmp_path / "cat1", tmp_path / "b" / "out")
    got1 = pd.read_parquet(tmp_path / "b" / "out" / "ingest")
    pd.testing.assert_frame_equal(got.sort_values("source_id").reset_index(drop=True),
                                  got1.sort_values("source_id").reset_index(drop=True))


def test_truth_columns_are_not_carried(tmp_path):
    cat = make_catalog(500, seed=4).assign(true_age_gyr=3.0)
    write_partitioned(cat, tmp_path / "cat", 2)
    run_ingest(None, _cfg(tmp_path), tmp_path / "cat", tmp_path / "out")
    got = pd.read_parquet(tmp_path / "out" / "ingest")
    assert not [c for c in got.columns if c.startswith("true_")]
    assert {"quality_flags", "snr_total"} <= set(got.columns)


def test_malformed_file_refused_before_work(tmp_path):
    cat = make_catalog(500, seed=4)
    cat.loc[300, "dec_deg"] = 95.0
    write_partitioned(cat, tmp_path / "cat", 2)
    with pytest.raises(SchemaError, match=r"part-00001.parquet: column 'dec_deg' has value 95.0"):
        run_ingest(None, _cfg(tmp_path), tmp_path / "cat", tmp_path / "out")
    assert not (tmp_path / "out" / "ingest").exists()
    cat2 = make_catalog(50).drop(columns="rv_kms")
    write_partitioned(cat2, tmp_path / "cat2", 1)
    with pytest.raises(SchemaError, match="missing required column.*'rv_kms'"):
        run_ingest(None, _cfg(tmp_path), tmp_path / "cat2", tmp_path / "out2")


def test_rerun_skips_and_force_recomputes(tmp_path):
    cat = make_catalog(800, seed=9, dup_fraction=0.05)
    write_partitioned(cat, tmp_path / "cat", 2)
    cfg = _cfg(tmp_path, rows=300)
    first = run_ingest(None, cfg, tmp_path / "cat", tmp_path / "out")
    again = run_ingest(None, cfg, tmp_path / "cat", tmp_path / "out")
    assert first["computed"] > 0 and again["computed"] == 0
    state = json.loads((tmp_path / "out" / "_state" / "ingest.json").read_text())
    assert state["rows"] + state["duplicates"] == len(cat)
    forced = run_ingest(None, cfg, tmp_path / "cat", tmp_path / "out", force=True)
    assert forced["computed"] == first["computed"]


def test_scatter_writes_one_file_per_input_with_a_batch_per_strip(tmp_path):
    """An unsorted input touches every strip: still one file, not one per strip (HPC file systems)."""
    import pyarrow as pa

    from mwdisk.pipelines.ingest import _scatter, _strip_sources

    cat = make_catalog(3000, seed=9)
    cat["label"] = pd.array(np.where(np.arange(3000) % 2, "thin", "thick"), dtype="str")  # Arrow-backed
    f = tmp_path / "in.parquet"
    cat.to_parquet(f, index=False)
    edges = np.linspace(-90.0, 90.0, 13)
    work = tmp_path / "work"
    assert _scatter(0, str(f), edges, 2.0, str(work)) == len(cat)  # wide margins: strips get copies
    assert sorted(p.name for p in work.iterdir() if p.is_file()) == ["in-00000.arrow"]
    sources = _strip_sources(work, 1)
    reader = pa.ipc.open_file(str(work / "in-00000.arrow"))
    assert reader.num_record_batches == len(sources) >= 5
    own = np.clip(np.searchsorted(edges, cat["dec_deg"].to_numpy(), side="right") - 1, 0, 11)
    for k, [(j, b)] in sources.items():
        piece = pa.Table.from_batches([reader.get_batch(b)]).to_pandas()
        core = piece[piece[kern.CORE]]
        assert j == 0 and sorted(core["obs_id"]) == sorted(cat.loc[own == k, "obs_id"])
        assert set(core["label"]) <= {"thin", "thick"}
