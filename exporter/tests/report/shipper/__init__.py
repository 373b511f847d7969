"""Tests of primus_lens_wandb_exporter/report/shipper: the pipe protocol and the shipper process."""
