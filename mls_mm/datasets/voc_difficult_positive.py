"""VOC multi-label classification data whose "difficult" labels are training positives."""
from mmpretrain.datasets import VOC
from mmpretrain.registry import DATASETS


@DATASETS.register_module()
class VOCDifficultAsPositive(VOC):
    """mmpretrain's ``VOC`` with the labels of difficult objects counted as positives in
    training, as Cao & Wu's VOC fine-tuning does (their ``main_voc.py`` trains on
    ``target >= 0``, where difficult is 0 and absent is -1). mmpretrain puts only the
    non-difficult classes in ``gt_label``, so a class seen only as difficult would train as a
    negative. With ``test_mode=True`` nothing changes: ``gt_label_difficult`` stays for
    ``VOCAveragePrecision``, which ignores those labels.
    """

    def load_data_list(self):
        data_list = super().load_data_list()
        if not self.test_mode:
            for info in data_list:
                if info['gt_label'] is not None:
                    info['gt_label'] = sorted(set(info['gt_label'])
                                              | set(info['gt_label_difficult'] or []))
        return data_list
