"""`python -m primus_lens_wandb_exporter check`."""

import sys

from primus_lens_wandb_exporter.cli import main

sys.exit(main())
