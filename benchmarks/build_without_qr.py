"""The baseline of ``qr_draw_cost``: a build whose QR codes are not stamped.

    python build_without_qr.py SPEC OUT ID

Builds like ``packetgen build SPEC -o OUT --only ID --format pdf --no-cache
-j 1``, through ``packetgen.build``, with the binder's QR stamping step
(``packetgen.binder.bind._qr_codes``, formerly ``_stamp_qr_codes``) replaced by a
no-op: the codes' slots are laid out as in a real build (same size, same
place) and stay empty. Nothing in packetgen itself changes. Exits with an
error when no code was left out (the step was not called, so the patch missed:
say packetgen renamed the function again), so the benchmark never passes a
full build off as one without codes.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

import packetgen
import packetgen.binder.bind as binder

NAMES = ("_qr_codes", "_stamp_qr_codes")
"""The binder's QR stamping step, by the names it has had (the first found is patched)."""


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    spec, out, inservice_id = sys.argv[1:4]
    name = next((n for n in NAMES if callable(getattr(binder, n, None))), None)
    if name is None:
        print(f"packetgen.binder.bind has none of {', '.join(NAMES)} to leave out", file=sys.stderr)
        return 1
    signature = inspect.signature(getattr(binder, name))
    if "slots" not in signature.parameters:
        print(f"packetgen.binder.bind.{name}{signature} takes no slots", file=sys.stderr)
        return 1
    left_out: list[int] = []

    def no_stamp(*args: Any, **kwargs: Any) -> None:
        slots = signature.bind(*args, **kwargs).arguments["slots"]
        left_out.append(len(slots))

    setattr(binder, name, no_stamp)
    packetgen.build(spec, out, only=[inservice_id], format="pdf", cache=False, jobs=1)
    if not left_out:
        print(f"packetgen.binder.bind.{name}() was never called", file=sys.stderr)
        return 1
    if sum(left_out) == 0:
        print("the build had no QR codes to leave out", file=sys.stderr)
        return 1
    print(f"{name}() left out: {sum(left_out)} QR code slots empty")
    return 0


if __name__ == "__main__":
    sys.exit(main())
