"""Multi-positive contrastive loss: every row with the same label is a positive."""
import torch
from torch import nn

from mmpretrain.registry import MODELS

FORMS = ('ia', 'out')


def _check_hyper_parameters(temperature: float, base_temperature: float, form: str) -> None:
    if temperature <= 0:
        raise ValueError(f'temperature (tau) must be > 0, got {temperature}')
    if base_temperature <= 0:
        raise ValueError(f'base_temperature (tau_b) must be > 0, got {base_temperature}')
    if form not in FORMS:
        raise ValueError(f'form must be one of {FORMS}, got {form!r}')


def multi_positive_contrastive_loss(features: torch.Tensor,
                                    labels: torch.Tensor,
                                    temperature: float = 0.3,
                                    base_temperature: float = 0.07,
                                    form: str = 'ia',
                                    num_anchors: int = None) -> torch.Tensor:
    r"""Contrastive loss with several positives per anchor, the positives given by labels.

    For anchor i, :math:`A(i)` is every row but i and :math:`P(i) \subset A(i)` the rows with
    the same label. With :math:`s_{ij} = f_i \cdot f_j / \tau`:

    * ``form='ia'``, IA-CLoss of BAM (arXiv 2506.23156), the sum over positives inside the log:

      .. math::
          l_i = -\frac{\tau}{\tau_b} \frac{1}{|P(i)|}
                \log \frac{\sum_{p \in P(i)} e^{s_{ip}}}{\sum_{a \in A(i)} e^{s_{ia}}}

    * ``form='out'``, SupCon's :math:`L_{out}` (Khosla et al. 2020), the mean of the logs:

      .. math::
          l_i = -\frac{\tau}{\tau_b} \frac{1}{|P(i)|}
                \sum_{p \in P(i)} \log \frac{e^{s_{ip}}}{\sum_{a \in A(i)} e^{s_{ia}}}

    The loss is the mean of :math:`l_i` over the anchors. Computed with log-sum-exp over
    masks built from the labels; no loop over anchors.

    Args:
        features (Tensor): (N, C) L2-normalised rows.
        labels (Tensor): (N,) integer label (image id) of each row.
        temperature (float): tau. Defaults to 0.3.
        base_temperature (float): tau_b. Defaults to 0.07.
        form (str): ``'ia'`` or ``'out'``. Defaults to ``'ia'``.
        num_anchors (int, optional): Use only the first ``num_anchors`` rows as anchors (all
            N rows stay in A(i)), e.g. this process' rows first, then rows gathered from the
            others. Defaults to all N.

    Returns:
        Tensor: scalar loss.
    """
    _check_hyper_parameters(temperature, base_temperature, form)
    if features.dim() != 2 or labels.shape != features.shape[:1]:
        raise ValueError(f'features (N, C) and labels (N,) expected, got '
                         f'{tuple(features.shape)} and {tuple(labels.shape)}')
    num = features.shape[0]
    num_anchors = num if num_anchors is None else num_anchors
    anchors = features[:num_anchors]
    logits = torch.einsum('ic,jc->ij', anchors, features) / temperature     # (n, N)
    is_self = torch.zeros_like(logits, dtype=torch.bool)
    is_self[:, :num_anchors] = torch.eye(num_anchors, dtype=torch.bool, device=logits.device)
    positive = (labels[:num_anchors, None] == labels[None, :]) & ~is_self  # (n, N)
    num_pos = positive.sum(1)
    if (num_pos == 0).any():
        bad = labels[:num_anchors][num_pos == 0].tolist()
        raise ValueError(f'anchors with labels {bad[:8]} have no positive: every image id must '
                         'occur at least twice')
    neg_inf = torch.finfo(logits.dtype).min
    log_denominator = torch.logsumexp(logits.masked_fill(is_self, neg_inf), dim=1)
    if form == 'ia':
        log_numerator = torch.logsumexp(logits.masked_fill(~positive, neg_inf), dim=1)
        per_anchor = (log_numerator - log_denominator) / num_pos
    else:
        log_prob = logits - log_denominator[:, None]
        per_anchor = (log_prob * positive).sum(1) / num_pos
    return -(temperature / base_temperature) * per_anchor.mean()


@MODELS.register_module()
class MultiPositiveContrastiveLoss(nn.Module):
    """Module form of :func:`multi_positive_contrastive_loss` (IA-CLoss by default).

    Args:
        temperature (float): tau. Defaults to 0.3.
        base_temperature (float): tau_b. Defaults to 0.07.
        form (str): ``'ia'`` (BAM's IA-CLoss) or ``'out'`` (SupCon L_out). Defaults to 'ia'.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self, temperature: float = 0.3, base_temperature: float = 0.07,
                 form: str = 'ia', loss_weight: float = 1.0):
        super().__init__()
        _check_hyper_parameters(temperature, base_temperature, form)
        self.temperature, self.base_temperature = temperature, base_temperature
        self.form, self.loss_weight = form, loss_weight

    def forward(self, features: torch.Tensor, labels: torch.Tensor,
                num_anchors: int = None) -> torch.Tensor:
        """features (N, C) normalised, labels (N,) -> scalar."""
        return self.loss_weight * multi_positive_contrastive_loss(
            features, labels, self.temperature, self.base_temperature, self.form, num_anchors)
