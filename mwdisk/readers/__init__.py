"""Readers of the survey products and of user-joined tables, and the joins that make canonical catalogues.

========================  ==========================================================  =====================
module                    product                                                     formats
========================  ==========================================================  =====================
:mod:`.lamost`            LAMOST DR5 general / A,F,G,K stellar catalogue              FITS (CSV)
:mod:`.ddpayne`           DD-Payne LAMOST DR5 value-added catalogue (Xiang+2019)      FITS (CSV)
:mod:`.gaia`              Gaia eDR3 ``gaia_source`` (archive names)                   FITS, CSV, ECSV, VOT
:mod:`.bailerjones`       Bailer-Jones et al. 2021 distances (archive or VizieR)      CSV, VOT, FITS, ECSV
:mod:`.table`             one user-joined table + a column-map YAML                   FITS, CSV, ECSV, VOT
:mod:`.join`              :func:`ingest_products`: files in, canonical parquet out    --
:mod:`.crossmatch`        positional crossmatch, proper-motion propagation            --
:mod:`.keyjoin`           joins by source_id (Gaia, distances), obsid/specid          --
:mod:`.canonical`         canonical columns, parameter/RV choices, parquet writing    --
========================  ==========================================================  =====================

Every reader checks a file's columns from its header before reading rows, and refuses a file lacking one
with :class:`mwdisk.schema.SchemaError` naming the file, the column and the product. Where users get the
products: LAMOST DR5 http://dr5.lamost.org/catalogue (general and A/F/G/K catalogues) and
http://dr5.lamost.org/doc/vac (DD-Payne); Gaia eDR3 https://gea.esac.esa.int/archive/
(``gaiaedr3.gaia_source``); Bailer-Jones distances from the same archive (``external.gaiaedr3_distance``),
GAVO (https://dc.zah.uni-heidelberg.de/gedr3dist) or VizieR I/352.

Examples
--------
>>> from mwdisk.readers import ingest_products                                    # doctest: +SKIP
>>> ingest_products(lamost="dr5_v3.fits", ddpayne="DR5_DDPayne.fits", gaia="gaia.fits",
...                 distances="bj.csv", out_dir="catalog")                          # doctest: +SKIP
"""

from .bailerjones import read_distances
from .ddpayne import read_ddpayne
from .gaia import read_gaia
from .join import crossmatch_partition, ingest_products, join_by_source_id, write_catalog
from .lamost import read_lamost
from .table import DEFAULT_FILL, FilledFlag, fill_missing, read_table

__all__ = [
    "read_lamost",
    "read_ddpayne",
    "read_gaia",
    "read_distances",
    "read_table",
    "fill_missing",
    "FilledFlag",
    "DEFAULT_FILL",
    "crossmatch_partition",
    "join_by_source_id",
    "write_catalog",
    "ingest_products",
]
