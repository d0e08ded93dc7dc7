"""Test helper: the scenes twins at standard width."""


def standard_width(model_cfg):
    """The MoCo v2 twin at torchvision's width (64; the scenes twins are 32 wide), so that the
    checkpoints of these tests fit the standard-width configs and formats they are loaded into."""
    model_cfg.backbone.update(stem_channels=64, base_channels=64)
    model_cfg.neck.update(in_channels=512, hid_channels=512)
    return model_cfg
