"""Write the built-in multi-object scene dataset in COCO's layout.

    python tools/generate_scenes.py [--out data/scenes] [--num-train 2048] [--num-val 256]
                                    [--image-size 128] [--seed 0] [--force]

An existing dataset made with the same arguments is left alone (a stamp file records them);
one written before the semantic-label maps existed gets them added (rendered from its own
instances files, its images untouched).
"""
import argparse
import json
import os.path as osp
import sys

from mls_mm.datasets.scene_generator import GENERATOR_VERSION, generate_scenes
from mls_mm.datasets.scene_semantic import semantic_maps_complete, write_semantic_maps


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default='data/scenes', help='dataset root')
    p.add_argument('--num-train', type=int, default=2048)
    p.add_argument('--num-val', type=int, default=256)
    p.add_argument('--image-size', type=int, default=128)
    p.add_argument('--max-instances', type=int, default=4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--force', action='store_true', help='regenerate even if up to date')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    params = dict(num_train=args.num_train, num_val=args.num_val, image_size=args.image_size,
                  max_instances=args.max_instances, seed=args.seed)
    stamp = osp.join(args.out, 'generated_with.json')
    recorded = dict(params, generator_version=GENERATOR_VERSION)
    if not args.force and osp.isfile(stamp):
        with open(stamp) as f:
            if json.load(f) == recorded:
                if not semantic_maps_complete(args.out):
                    print(f'[generate_scenes] {args.out}: adding the semantic-label maps')
                    for split in ('train', 'val'):
                        write_semantic_maps(args.out, split)
                print(f'[generate_scenes] {args.out} is up to date ({params}); skipping')
                return 0
    print(f'[generate_scenes] writing {args.out} ({params})')
    paths = generate_scenes(args.out, **params)
    with open(stamp, 'w') as f:
        json.dump(recorded, f)
    print(f'[generate_scenes] done: {paths}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
