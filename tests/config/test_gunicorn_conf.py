"""config/gunicorn_conf.py: each gunicorn worker imports the views up front and freezes what is
alive, so that the garbage collector stops walking the app's long-lived objects during requests."""

import gc
import sys

from config import gunicorn_conf


def test_warm_up_imports_every_view_and_freezes_the_objects_alive():
    try:
        frozen = gunicorn_conf.warm_up_and_freeze()
        assert frozen == gc.get_freeze_count()
        assert frozen > 50_000  # Django, DRF and the apps' modules: far more than a request makes
        assert {"annotate.api", "annotate.views", "reliability.views", "config.urls"} <= set(sys.modules)
        # what a request creates afterwards is still collected
        gc.collect()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
