"""`wandb.sdk.lib`. The modules both fake shapes share (wandb-core's history rules, the pre-init
placeholder, a run's bookkeeping) live in fake_wandb/shared_lib and are found as part of this package."""

import os

__path__.append(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir, os.pardir, "shared_lib"))
