"""Online kNN multi-label mAP of the backbone during self-supervised pretraining."""
import math
import time
from copy import deepcopy
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dataset import default_collate
from mmengine.dist import broadcast, collect_results, get_dist_info, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.evaluation.metrics import AveragePrecision
from mmpretrain.registry import DATASETS, HOOKS
from torch.utils.data import DataLoader, Dataset, Subset

DatasetLike = Union[dict, Dataset]


def knn_multilabel_scores(query: torch.Tensor, bank: torch.Tensor, bank_labels: torch.Tensor,
                          k: int, temperature: float, chunk: int = 1024) -> torch.Tensor:
    r"""Weighted kNN vote of multi-hot labels (InstDisc / DINO kNN monitor, multi-label).

    .. math::
        s_c(q) = \sum_{j \in \mathrm{top}_k(q)} \exp(q^\top b_j / T)\, y_{j,c}

    with :math:`q, b_j` L2-normalised, so :math:`q^\top b_j` is the cosine similarity.

    Args:
        query (Tensor): (Nq, D) L2-normalised query features.
        bank (Tensor): (Nb, D) L2-normalised bank features.
        bank_labels (Tensor): (Nb, C) multi-hot labels of the bank, 0 or 1.
        k (int): Neighbours per query, 1 <= k <= Nb.
        temperature (float): T of the vote weights, > 0.
        chunk (int): Queries per similarity block (bounds memory to chunk x Nb).

    Returns:
        Tensor: (Nq, C) scores, float32.
    """
    labels = bank_labels.float()
    out = []
    for start in range(0, query.size(0), chunk):
        sim = query[start:start + chunk] @ bank.t()                      # (q, Nb)
        top_sim, top_idx = sim.topk(k, dim=1)                            # (q, k)
        weights = (top_sim / temperature).exp()                          # (q, k)
        out.append(torch.einsum('qk,qkc->qc', weights, labels[top_idx]))  # (q, C)
    return torch.cat(out)


def multilabel_map(scores: torch.Tensor, targets: torch.Tensor) -> tuple:
    """mAP (percent, mmpretrain's ``AveragePrecision``) over classes with a positive query.

    A class without any positive in ``targets`` has no defined AP and is skipped (mmpretrain
    would count it as 0); the number of classes kept is returned with the mAP.

    Args:
        scores (Tensor): (N, C) scores.
        targets (Tensor): (N, C) multi-hot targets, 0 or 1.

    Returns:
        tuple: ``(mAP in [0, 100], number of classes scored)``; mAP is NaN when none is.
    """
    keep = targets.sum(0) > 0
    if not keep.any():
        return float('nan'), 0
    value = AveragePrecision.calculate(scores[:, keep], targets[:, keep], average='macro')
    return float(value), int(keep.sum())


@HOOKS.register_module()
class KNNMonitorHook(Hook):
    """Every ``interval`` epochs, log the kNN multi-label mAP of the current backbone.

    The backbone (eval mode, no grad, the model's own ``data_preprocessor``) encodes a labelled
    ``bank`` and ``query`` set; the last feature map is average-pooled and L2-normalised; each
    query scores class c as the sum, over its ``k`` nearest bank items by cosine similarity, of
    ``exp(sim / temperature) * label_c`` (:func:`knn_multilabel_scores`, the weighted vote of
    the InstDisc / DINO monitors); the mAP over the query set (:func:`multilabel_map`, classes
    without a positive query skipped) is logged as ``knn/mAP`` in percent: to the text log, to
    ``runner.message_hub`` and to every visualizer backend (``vis_data/scalars.json``,
    TensorBoard when a ``TensorboardVisBackend`` is configured), at ``step=runner.iter``.
    It runs after the epochs divisible by ``interval``, after the last epoch, and before
    training when ``before_training=True`` (the random-init reference). Module train/eval
    flags are saved and restored exactly, so ``norm_eval`` or frozen parts stay as they were.

    Distributed: every rank encodes its share of the bank and the queries (item i on rank
    i mod world size, as mmengine's ``DefaultSampler`` splits a val set) and the features are
    gathered in order with ``mmengine.dist.collect_results`` (``collect_device``), as mmengine's
    evaluators do, so no rank idles in a collective while another encodes a large bank. The
    ranks encode with one backbone state: parameters are equal under DDP, and BN running
    statistics, which need not be (``broadcast_buffers=False``), are taken from rank 0 (a copy
    of the backbone receives them), so the figures equal a one-process run's. Rank 0 scores and
    logs. Datasets are built and checked on every rank in ``before_train``, so a bad
    configuration stops all ranks alike.

    Args:
        bank (dict | Dataset): Labelled reference set (e.g. a ``CocoMultiLabelDataset`` over
            train2017). A dict is built with ``DATASETS`` and gets ``pipeline`` when it has
            none; each sample must give one image and a ``gt_label`` (class indices).
        query (dict | Dataset): Labelled held-out set scored against the bank (e.g. val2017).
        num_classes (int): Number of classes of the labels.
        k (int): Neighbours per query. Defaults to 20 (DINO's kNN monitor).
        temperature (float): T of the vote weights ``exp(sim / T)``. Defaults to 0.07
            (InstDisc, DINO).
        interval (int): Run every ``interval`` epochs. Defaults to 1.
        pipeline (list[dict], optional): Test pipeline for dict datasets without one.
            Defaults to load, resize the short edge to ``image_size``, centre crop, pack.
        image_size (int): Side of the default pipeline's images; use the pretraining crop
            size. Defaults to 64 (the scenes twins).
        batch_size (int): Images per forward pass. Defaults to 64.
        num_workers (int): Loader workers. Defaults to 0 (in-process, nothing to start).
        max_bank (int, optional): Cap on bank images (evenly spaced). Defaults to None (all).
        max_query (int, optional): Cap on query images (evenly spaced). Defaults to None.
        before_training (bool): Also run once before the first epoch. Defaults to False.
        collect_device (str): ``'cpu'`` (through a shared temporary folder) or ``'gpu'``
            (through the process group), as mmengine's evaluators. Defaults to ``'cpu'``.
    """

    priority = 'LOW'

    def __init__(self, bank: DatasetLike, query: DatasetLike, num_classes: int, k: int = 20,
                 temperature: float = 0.07, interval: int = 1,
                 pipeline: Optional[List[dict]] = None, image_size: int = 64,
                 batch_size: int = 64, num_workers: int = 0, max_bank: Optional[int] = None,
                 max_query: Optional[int] = None, before_training: bool = False,
                 collect_device: str = 'cpu') -> None:
        for name, value in dict(num_classes=num_classes, k=k, interval=interval,
                                image_size=image_size, batch_size=batch_size).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f'KNNMonitorHook.{name} must be an int >= 1, got {value!r}')
        if not temperature > 0:
            raise ValueError(f'KNNMonitorHook.temperature must be > 0, got {temperature}')
        if num_workers < 0:
            raise ValueError(f'KNNMonitorHook.num_workers must be >= 0, got {num_workers}')
        for name, cap in dict(max_bank=max_bank, max_query=max_query).items():
            if cap is not None and cap < 1:
                raise ValueError(f'KNNMonitorHook.{name} must be None or >= 1, got {cap}')
        for name, ds in dict(bank=bank, query=query).items():
            if not isinstance(ds, (dict, Dataset)):
                raise ValueError(f'KNNMonitorHook.{name} must be a dataset config (dict) or a '
                                 f'Dataset, got {type(ds).__name__}')
        self.bank_cfg, self.query_cfg = bank, query
        self.num_classes, self.k, self.temperature = num_classes, k, float(temperature)
        self.interval, self.batch_size, self.num_workers = interval, batch_size, num_workers
        self.max_bank, self.max_query = max_bank, max_query
        self.before_training = before_training
        if collect_device not in ('cpu', 'gpu'):
            raise ValueError(f"KNNMonitorHook.collect_device must be 'cpu' or 'gpu', got "
                             f'{collect_device!r}')
        self.collect_device = collect_device
        self.pipeline = pipeline if pipeline is not None else [
            dict(type='LoadImageFromFileStrict'),
            dict(type='ResizeEdge', scale=image_size, edge='short', backend='pillow'),
            dict(type='CenterCrop', crop_size=image_size),
            dict(type='PackInputs'),
        ]
        self.bank_set: Optional[Dataset] = None
        self.query_set: Optional[Dataset] = None

    # ---------------------------------------------------------------- data
    def _build_set(self, cfg: DatasetLike, cap: Optional[int]) -> Dataset:
        if isinstance(cfg, dict):
            cfg = dict(cfg)
            cfg.setdefault('pipeline', self.pipeline)
            cfg = DATASETS.build(cfg)
        if cap is not None and len(cfg) > cap:
            cfg = Subset(cfg, np.linspace(0, len(cfg) - 1, cap).round().astype(int).tolist())
        return cfg

    def build_sets(self) -> None:
        """Build bank and query sets (capped) and check ``k`` against the bank size."""
        self.bank_set = self._build_set(self.bank_cfg, self.max_bank)
        self.query_set = self._build_set(self.query_cfg, self.max_query)
        if self.k > len(self.bank_set):
            raise ValueError(f'KNNMonitorHook.k = {self.k} is larger than the bank '
                             f'({len(self.bank_set)} images)')
        if len(self.query_set) == 0:
            raise ValueError('KNNMonitorHook.query is empty')

    def _loader(self, dataset: Dataset) -> DataLoader:
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=False,
                          num_workers=self.num_workers, collate_fn=default_collate)

    # ---------------------------------------------------------------- features
    @staticmethod
    def _rank0_backbone(backbone):
        """``backbone``, or in a multi-process run a copy holding rank 0's buffers."""
        if get_dist_info()[1] == 1:
            return backbone
        backbone = deepcopy(backbone)
        for buf in backbone.buffers():
            broadcast(buf, src=0)
        return backbone

    @torch.no_grad()
    def _encode(self, model, backbone, dataset: Dataset) -> Optional[tuple]:
        """(N, D) L2-normalised pooled features and (N, C) multi-hot labels of ``dataset``.

        Each rank encodes items ``rank, rank + world, ...`` (the last round padded from the
        start); rank 0 gets all N in order, the other ranks None.
        """
        rank, world = get_dist_info()
        size = len(dataset)
        shard = [(rank + i * world) % size for i in range(math.ceil(size / world))]
        feats, labels = [], []
        for data in self._loader(Subset(dataset, shard)):
            data = model.data_preprocessor(data, False)
            inputs = data['inputs']
            if isinstance(inputs, (list, tuple)):  # a multi-view preprocessor: one view here
                inputs = inputs[0]
            out = backbone(inputs)
            out = out[-1] if isinstance(out, (list, tuple)) else out
            if out.dim() == 4:
                out = F.adaptive_avg_pool2d(out, 1).flatten(1)              # (B, D)
            feats.append(F.normalize(out.float(), dim=1).cpu())
            labels.append(self._multi_hot(data['data_samples']))
        # one (feature, label) pair per item, each its own storage: a view would pickle the
        # whole shard's storage once per row in collect_results
        rows = [(f.clone(), y.clone()) for f, y in zip(torch.cat(feats), torch.cat(labels))]
        rows = collect_results(rows, size, device=self.collect_device)
        if rows is None:
            return None
        return torch.stack([f for f, _ in rows]), torch.stack([y for _, y in rows])

    def _multi_hot(self, data_samples: Sequence) -> torch.Tensor:
        hot = torch.zeros(len(data_samples), self.num_classes)
        for i, sample in enumerate(data_samples):
            idx = torch.as_tensor(sample.gt_label).long().flatten().cpu()
            if idx.numel() and (idx.min() < 0 or idx.max() >= self.num_classes):
                raise ValueError(f'KNNMonitorHook.num_classes = {self.num_classes} but a '
                                 f'label is {idx.tolist()}')
            hot[i, idx] = 1
        return hot

    def evaluate(self, model) -> dict:
        """Scores the query set with the current backbone; returns mAP and bookkeeping.

        Args:
            model: The algorithm (wrapped or not); needs ``.backbone`` and
                ``.data_preprocessor``.

        Returns:
            dict: ``mAP`` (percent), ``num_classes`` (classes scored), ``seconds``; None on
            ranks other than 0, which only encode their share.
        """
        if self.bank_set is None:
            self.build_sets()
        model = model.module if is_model_wrapper(model) else model
        modes = [(m, m.training) for m in model.modules()]
        start = time.perf_counter()
        model.eval()
        try:
            backbone = self._rank0_backbone(model.backbone)
            bank = self._encode(model, backbone, self.bank_set)
            query = self._encode(model, backbone, self.query_set)
        finally:
            for module, mode in modes:
                module.training = mode
        if not is_main_process():
            return None
        (bank, bank_labels), (query, query_labels) = bank, query
        scores = knn_multilabel_scores(query, bank, bank_labels, self.k, self.temperature)
        value, scored = multilabel_map(scores, query_labels)
        return dict(mAP=value, num_classes=scored, seconds=time.perf_counter() - start)

    # ---------------------------------------------------------------- hook points
    def before_train(self, runner) -> None:
        for name, cfg in (('bank', self.bank_cfg), ('query', self.query_cfg)):
            if isinstance(cfg, dict) and cfg.get('data_root', '') is None:
                train_root = runner.cfg.get('train_dataloader', {}).get('dataset', {}).get(
                    'data_root')
                if train_root is None:
                    raise ValueError(f'KNNMonitorHook.{name}.data_root is None (= the training '
                                     'data root) but train_dataloader.dataset has no data_root')
                cfg['data_root'] = train_root
        self.build_sets()
        if self.before_training:
            self._run(runner, epoch=0)

    def after_train_epoch(self, runner) -> None:
        if self.every_n_epochs(runner, self.interval) or self.is_last_train_epoch(runner):
            self._run(runner, epoch=runner.epoch + 1)

    def _run(self, runner, epoch: int) -> None:
        """Evaluate (all ranks encode) and log ``knn/mAP`` on rank 0 after ``epoch`` epochs."""
        result = self.evaluate(runner.model)
        if result is None:
            return
        runner.message_hub.update_scalar('knn/mAP', result['mAP'])
        runner.visualizer.add_scalars({'knn/mAP': result['mAP']}, step=runner.iter)
        runner.logger.info(
            f'Epoch(knn) [{epoch}] knn/mAP: {result["mAP"]:.2f}  '
            f'(k={self.k}, T={self.temperature}, {len(self.query_set)} queries vs '
            f'{len(self.bank_set)} bank images, {result["num_classes"]}/{self.num_classes} '
            f'classes with a positive query, {result["seconds"]:.1f} s)')
