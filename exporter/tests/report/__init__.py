"""Tests of primus_lens_wandb_exporter/report; the processes they start are in jobs/."""
