"""The PDF renderer's process: first make sure it cannot outlive the run, then render.

``python -m reports.outputs.pdf_child --lifeline FD --parent PID`` is started by
``pdf.start_pdf``. The guards are set before WeasyPrint is imported (a second or more), so a
run killed at any moment after this process starts leaves no renderer behind; the rendering
itself is ``pdf_engine.main``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(lifeline: int | None, parent: int | None) -> None:
    """End this process as soon as the run that started it ends, however it ends.

    Two guards, either enough: on Linux the kernel sends SIGKILL when the parent dies (the
    parent death signal), and everywhere a thread watches the lifeline pipe, whose write end
    only the parent holds, and exits when it reads end-of-file.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the lifeline still holds
            pass
    if parent is not None and os.getppid() != parent:  # the parent died before the guard was set
        os._exit(1)
    if lifeline is None:
        return

    def watch() -> None:
        try:
            while os.read(lifeline, 1):
                pass
        except OSError:
            pass
        os._exit(1)  # the run is gone: nobody will read the PDF

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def _arguments(argv: list[str]) -> tuple[int | None, int | None]:
    """``--lifeline FD --parent PID`` (both optional: the engine can also be run by hand)."""
    values: dict[str, int] = {}
    for flag, value in zip(argv[::2], argv[1::2], strict=False):
        values[flag] = int(value)
    return values.get("--lifeline"), values.get("--parent")


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C reaches the whole process group; the parent handles it and stops this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(*_arguments(sys.argv[1:] if argv is None else argv))
    from reports.outputs.pdf_engine import main as render  # WeasyPrint is slow to import: after the guards

    return render()


if __name__ == "__main__":
    raise SystemExit(main())
