"""Tests of primus_lens_wandb_exporter/hook: interception against the fake wandb shapes."""
