"""Files that hold client data: made readable by their owner only, written whole.

Every file ipt-network writes that may hold client data (the store and its
columnar copies, exports, reports, metric tables) is created 0600, and every
folder it makes for them 0700, whatever the umask. A file is written to a
temporary name beside its target and moved into place, so a reader sees the
old file or the new one, never half of one.

Examples
--------
>>> import os, tempfile
>>> from pathlib import Path
>>> root = Path(tempfile.mkdtemp())
>>> with private_output(root / "new" / "report.html") as tmp:
...     _ = tmp.write_text("hello", encoding="utf-8")
>>> oct(os.stat(root / "new" / "report.html").st_mode & 0o777)
'0o600'
>>> oct(os.stat(root / "new").st_mode & 0o777)
'0o700'
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["private_folder", "private_output", "make_private", "OVERWRITE_HINT"]

#: What every writer that refuses an occupied folder tells the user to do.
OVERWRITE_HINT = "choose an empty folder, or overwrite (--overwrite; overwrite=True in Python)"


def private_folder(path: Path) -> Path:
    """Make ``path`` and its missing parents as folders only the owner can open (0700).

    Folders that already exist are left as they are.
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
    return path


def make_private(path: Path) -> None:
    """Restrict an existing file (0600) or folder (0700) to its owner."""
    os.chmod(path, 0o700 if path.is_dir() else 0o600)


@contextmanager
def private_output(target: Path) -> Iterator[Path]:
    """A temporary owner-only file beside ``target``, moved onto it when the block succeeds.

    On an error the temporary file is deleted and ``target`` is untouched.
    """
    private_folder(target.parent)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(handle)  # mkstemp creates the file 0600
    tmp = Path(name)
    try:
        yield tmp
        make_private(tmp)  # a writer that replaced the file may have used the umask
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
