"""Accelerate's tracker API, as an unmodified job uses it: `log_with="wandb"`, `init_trackers`,
`accelerator.log`. Accelerate probes for wandb with `importlib.util.find_spec` before it imports
it. Prints `JOB {"run": <wandb run id>}`."""

import json

import torch
from accelerate import Accelerator

torch.manual_seed(0)
accelerator = Accelerator(log_with="wandb", cpu=True)
accelerator.init_trackers("p", config={"lr": 0.05, "batch": 8}, init_kwargs={"wandb": {"name": "accelerate-tiny"}})
model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
model, optimizer = accelerator.prepare(model, optimizer)
x, y = torch.randn(64, 8), torch.randn(64, 1)
for step in range(40):
    batch = slice((step * 8) % 64, (step * 8) % 64 + 8)
    loss = torch.nn.functional.mse_loss(model(x[batch]), y[batch])
    accelerator.backward(loss)
    optimizer.step()
    optimizer.zero_grad()
    logs = {"train/loss": loss.item(), "train/lr": 0.05, "epoch": step // 8}
    if step % 10 == 9:
        logs["eval/loss"] = loss.item() * 1.1
        accelerator.log({"eval/nan_check": float("nan")}, step=step)
    accelerator.log(logs, step=step)
run_id = accelerator.get_tracker("wandb", unwrap=True).id if accelerator.is_main_process else None
accelerator.end_training()
if run_id is not None:  # under `accelerate launch`, trackers live on the main process only
    print("JOB " + json.dumps({"run": run_id}))
