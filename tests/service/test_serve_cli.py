"""``ragloom serve`` and ``ragloom keys`` on the command line: one-line refusals, keys never shown twice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.service.server_helpers import REPO


def ragloom(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag.cli.main", *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}, timeout=120)


def test_serving_beyond_loopback_needs_a_key(team_index: Path) -> None:
    done = ragloom("serve", "--index", str(team_index), "--host", "0.0.0.0", "--port", "0")
    assert done.returncode == 2
    assert done.stderr.startswith("ragloom: error: serving on 0.0.0.0") and "Traceback" not in done.stderr


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    from rag.service.keys import KeyStore

    index = tmp_path / "index"
    index.mkdir()
    created = ragloom("keys", "create", "--index", str(index), "--filter", "team=legal", "--read-only")
    assert created.returncode == 0
    key = created.stdout.strip().splitlines()[-1]
    record = KeyStore(index).lookup(key)
    assert record is not None and record.filter == {"team": {"$eq": "legal"}} and record.read_only
    listed = ragloom("keys", "list", "--index", str(index))
    assert record.id in listed.stdout and key not in listed.stdout
    assert ragloom("keys", "revoke", "--index", str(index), record.id).returncode == 0
    assert KeyStore(index).lookup(key) is None
    again = ragloom("keys", "revoke", "--index", str(index), record.id)
    assert again.returncode == 2 and again.stderr.startswith("ragloom: error:")
    missing = ragloom("keys", "create", "--index", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no index folder" in missing.stderr
