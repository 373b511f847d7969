"""What the exporter's tests share: one fake telemetry server, one source of seeded randomness, and
the environment real wandb runs in.

fake_server.py   FakeServer: a real HTTP socket that keeps what it is sent, keyed as the real
                 server keys it, and fails on request (down, slow, hang, 4xx/5xx, 413, reset);
                 free_port() for an address where nothing listens
seeded.py        seeded_random(), seed_for(): random test inputs that repeat, and another set
                 of them with PRIMUS_LENS_TEST_SEED
wandb_env.py     OFFLINE_WANDB_ENV: real wandb offline, quiet, with no git/code/stats capture
"""
