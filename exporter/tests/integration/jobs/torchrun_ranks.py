"""A DDP job as `torchrun --nproc_per_node=2` starts it on CPU (gloo): every rank is a fresh
interpreter that only the `.pth` prepared. `every`: each rank makes its own wandb run and logs;
`rank0`: only rank 0 does, the common pattern. Each logging rank prints `JOB {"rank": ..., "run": ...}`."""

import json
import sys

import torch
import torch.distributed as dist

dist.init_process_group("gloo")
rank = dist.get_rank()
logs = sys.argv[1] == "every" or rank == 0
if logs:
    import wandb

    run = wandb.init(project="p", name="rank%d" % rank, group="ddp")
for step in range(10):
    total = torch.tensor([float(step + rank)])
    dist.all_reduce(total)  # the ranks train together: no rank races ahead of the others
    if logs:
        run.log({"loss": 1.0 / (step + 1) + rank, "sum": total.item()})
if logs:
    # One write per line: both ranks share the launcher's stdout, and a short write is atomic.
    sys.stdout.write("JOB " + json.dumps({"rank": rank, "run": run.id}) + "\n")
    sys.stdout.flush()
    run.finish()
dist.barrier()
dist.destroy_process_group()
