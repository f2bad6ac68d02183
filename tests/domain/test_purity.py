"""The domain package never imports Django (nor anything of the project outside the domain)."""

import pkgutil
import subprocess
import sys

import annotation_qc.domain


def test_domain_modules_import_without_django():
    modules = [m.name for m in pkgutil.walk_packages(annotation_qc.domain.__path__, "annotation_qc.domain.")]
    assert len(modules) > 10
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework', 'celery')"
        " or (m.startswith('annotation_qc.') and not m.startswith('annotation_qc.domain')))\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
