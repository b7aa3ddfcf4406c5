import pytest

from .conftest_slurm import slurm_client  # noqa: F401  (session SLURMCluster fixture, marked tests only)


@pytest.fixture(scope="session")
def client():
    """A 2-worker LocalCluster (single-threaded workers, as the default run), shared by the session."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                           memory_limit="3GiB")
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()
