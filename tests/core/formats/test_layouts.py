"""Finding plans needs no reader: the layouts table is each reader's own layouts, and importing
the package's light modules loads no reader (`start` and `status` in a repository with no plan
of another tool never load one)."""

from __future__ import annotations

import subprocess
import sys

from gitwt.core.formats import FORMATS
from gitwt.core.formats.layouts import LAYOUTS


def test_the_table_is_every_reader_in_order_with_its_own_layouts() -> None:
    assert [plan_format.name for plan_format in FORMATS] == list(LAYOUTS)
    for plan_format in FORMATS:
        assert plan_format.layouts == LAYOUTS[plan_format.name]


def test_the_light_modules_load_no_reader() -> None:
    code = (
        "import sys\n"
        "import gitwt.core.formats.layouts, gitwt.core.formats.plan_units\n"
        "import gitwt.services.specs.plan_folders\n"
        "readers = ('speckit', 'kiro', 'ccpm', 'openspec', 'taskmaster', 'gsd')\n"
        "print([r for r in readers if 'gitwt.core.formats.' + r in sys.modules])\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
