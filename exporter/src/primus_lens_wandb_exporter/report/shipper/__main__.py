"""`python -m primus_lens_wandb_exporter.report.shipper`: the shipper process (see process.py)."""

import sys

from primus_lens_wandb_exporter.report.shipper.process import main

sys.exit(main())
