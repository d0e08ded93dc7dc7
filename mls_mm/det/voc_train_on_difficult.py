"""VOC detection data that trains on "difficult" boxes, as detectron2's VOC loader does."""
from typing import List

from mmdet.datasets import VOCDataset
from mmdet.registry import DATASETS


@DATASETS.register_module()
class VOCTrainOnDifficultDataset(VOCDataset):
    """mmdet's ``VOCDataset`` whose boxes marked ``difficult`` are training targets.

    mmdet's ``XMLDataset`` gives every difficult box ``ignore_flag=1``, so it never becomes a
    ground-truth instance; detectron2's ``load_voc_instances`` (the loader of MoCo's VOC07+12
    protocol, MLS Table 4) keeps them ("We include 'difficult' samples in training"). In
    training (``test_mode=False``) this dataset sets ``ignore_flag=0`` on the difficult boxes
    and keeps ``ignore_flag=1`` on those ignored for ``filter_cfg.bbox_min_size``; each instance
    also records ``difficult`` (0 / 1). In test mode it is ``VOCDataset`` unchanged: VOC07 AP
    ignores difficult boxes, as both libraries evaluate.
    """

    def _parse_instance_info(self, raw_ann_info, minus_one: bool = True) -> List[dict]:
        instances = super()._parse_instance_info(raw_ann_info, minus_one=minus_one)
        if self.test_mode:
            return instances
        objects = [obj for obj in raw_ann_info.findall('object')
                   if obj.find('name').text in self._metainfo['classes']]
        if len(objects) != len(instances):  # mmdet parses the same objects in the same order
            raise RuntimeError(f'{len(objects)} VOC objects of known classes but '
                               f'{len(instances)} parsed instances')
        min_size = self.bbox_min_size
        for obj, instance in zip(objects, instances):
            flag = obj.find('difficult')
            instance['difficult'] = 0 if flag is None else int(flag.text)
            x1, y1, x2, y2 = instance['bbox']
            too_small = min_size is not None and min(x2 - x1, y2 - y1) < min_size
            instance['ignore_flag'] = int(too_small)
        return instances
