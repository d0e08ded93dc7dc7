"""Forward + backward cost of the scenes backbone at several widths and resolutions (CPU).

    python tools/benchmarks/scenes_step_cost.py [--threads 2] [--views 64] [--repeats 5]
                                                [--precision float32 bfloat16]
                                                [--compile] [--cases 32x64 ...]

Prints, per (width, resolution) and precision, the milliseconds of one forward + backward and
of one forward (no grad) of ``--views`` random views through mmpretrain's ResNet-18. This is
what chose the half-width ResNet-18 of configs/_base_/scenes_backbone.py: 64 views of 64 px
cost 204 ms at width 64 and 60 ms at width 32 on the 2-core CI machine kind, idle.
``bfloat16`` is what ``tools/train.py --bf16`` does to a backbone (mls_mm's
``AutocastOptimWrapper``: channels-last weights, ``torch.autocast('cpu', bfloat16)``), with
channels-last inputs as well; it prints whether oneDNN has bfloat16 kernels for this CPU
(without them bfloat16 is emulated, and slower). ``--compile`` adds a row per case and
precision for the same backbone under ``torch.compile`` (inductor; it needs a C++ compiler)
with the seconds of its first forward + backward and first forward without grad (the two
compilations). ``--cases`` picks (width x resolution) cases. Run it alone: a second training
process on the same 2 cores slows both several times over.
"""
import argparse
import time

import torch
from mmpretrain.models import ResNet

from mls_mm.engine import cpu_has_native_bfloat16

CASES = ((64, 64), (32, 64), (32, 48), (64, 32), (32, 32))  # (width, resolution)


def cost(width, resolution, views, repeats, precision='float32', compiled=False):
    """Milliseconds of one forward + backward and of one forward, and the seconds of the
    first of each (with ``compiled``: their compilations)."""
    model = ResNet(depth=18, stem_channels=width, base_channels=width)
    x = torch.randn(views, 3, resolution, resolution)
    bf16 = precision == 'bfloat16'
    if bf16:
        model, x = (t.to(memory_format=torch.channels_last) for t in (model, x))
    run = torch.compile(model) if compiled else model

    def forward():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            return run(x)[-1].float()

    start = time.perf_counter()
    forward().mean().backward()  # warm-up (and compilation)
    first = time.perf_counter() - start
    forward().mean().backward()
    start = time.perf_counter()
    for _ in range(repeats):
        forward().mean().backward()
    train = (time.perf_counter() - start) / repeats
    with torch.no_grad():
        start = time.perf_counter()
        forward()  # warm-up (a compiled model compiles again without grad)
        first += time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(repeats):
            forward()
        infer = (time.perf_counter() - start) / repeats
    return 1000 * train, 1000 * infer, first


def parse_case(text):
    """``'32x64'`` -> ``(32, 64)``: (width, resolution)."""
    try:
        width, resolution = (int(part) for part in text.split('x'))
    except ValueError:
        width = resolution = 0
    if width <= 0 or resolution <= 0:
        raise argparse.ArgumentTypeError(
            f'a case is WIDTHxRESOLUTION of two positive integers, e.g. 32x64; got {text!r}')
    return width, resolution


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--views', type=int, default=64)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--precision', nargs='+', choices=('float32', 'bfloat16'),
                        default=['float32', 'bfloat16'])
    parser.add_argument('--compile', action='store_true',
                        help='also time each case under torch.compile (inductor)')
    parser.add_argument('--cases', nargs='+', type=parse_case, default=list(CASES),
                        metavar='WIDTHxRES', help='default: ' + ' '.join(
                            f'{w}x{r}' for w, r in CASES))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f'ResNet-18, {args.views} views, {args.threads} threads; oneDNN has bfloat16 '
          f'kernels for this CPU: {cpu_has_native_bfloat16()}')
    for width, resolution in args.cases:
        for precision in args.precision:
            for compiled in (False, True) if args.compile else (False,):
                train, infer, first = cost(width, resolution, args.views, args.repeats,
                                           precision, compiled)
                print(f'width {width:3d}  {resolution:3d} px {precision:>8}: forward + backward '
                      f'{train:6.0f} ms, forward {infer:6.0f} ms' +
                      (f' (torch.compile; compiling took {first:.0f} s)' if compiled else ''))


if __name__ == '__main__':
    main()
