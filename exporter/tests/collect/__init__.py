"""Tests of primus_lens_wandb_exporter/collect: step rules, step sync, values, identity, evidence."""
