"""scikit-learn estimators and pipelines, stored with skops (no pickle).

``load()`` asks skops which types in the file are not on its trusted list and
refuses them unless ``trusted=True``: skops builds only types it was told to
trust, so a checkpoint cannot run code it was not expected to.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from ..schemas import DescribeCheckpoint
from .base import SavedModel, single_file

FILE = "model.skops"


class SklearnAdapter:
    name = "sklearn"
    formats = ("skops",)

    def detect(self, obj: Any) -> bool:
        base = sys.modules.get("sklearn.base")
        return base is not None and isinstance(obj, base.BaseEstimator)

    def save(self, obj: Any, folder: Path) -> SavedModel:
        import sklearn
        import skops
        import skops.io

        skops.io.dump(obj, folder / FILE)
        return SavedModel(
            framework=f"scikit-learn-{sklearn.__version__}",
            format="skops",
            metadata={
                "estimator": f"{type(obj).__module__}.{type(obj).__qualname__}",
                "skops": skops.__version__,
            },
        )

    def load(self, folder: Path, checkpoint: DescribeCheckpoint, trusted: bool) -> Any:
        import skops.io

        file = single_file(folder, FILE, "*.skops")
        untrusted = skops.io.get_untrusted_types(file=file)
        if untrusted and not trusted:
            raise ValidationError(
                "this skops checkpoint contains types skops does not trust by default, and "
                f"building them could run their code: {', '.join(untrusted)}. Review them, "
                "then load(trusted=True)"
            )
        return skops.io.load(file, trusted=untrusted)
