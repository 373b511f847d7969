"""HF `Trainer(report_to="wandb")` on a tiny GPT-2 built from a config (no hub download), as an
unmodified job runs it. transformers probes for wandb with `importlib.util.find_spec` before it
imports it. Prints `JOB {"run": <wandb run id>}`."""

import json
import sys

import torch
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

torch.manual_seed(0)
config = GPT2Config(n_layer=1, n_head=2, n_embd=16, vocab_size=64, n_positions=32)
model = GPT2LMHeadModel(config)


class Tokens(torch.utils.data.Dataset):
    def __init__(self, n):
        g = torch.Generator().manual_seed(1)
        self.rows = [torch.randint(0, 64, (16,), generator=g) for _ in range(n)]

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return {"input_ids": self.rows[i], "labels": self.rows[i]}


args = TrainingArguments(
    output_dir=sys.argv[1],
    max_steps=20,
    logging_steps=1,
    eval_strategy="steps",
    eval_steps=5,
    per_device_train_batch_size=2,
    per_device_eval_batch_size=2,
    report_to="wandb",
    save_strategy="no",
    use_cpu=True,
    disable_tqdm=True,
    dataloader_num_workers=0,
    run_name="hf-tiny",
)
trainer = Trainer(model=model, args=args, train_dataset=Tokens(40), eval_dataset=Tokens(6))
trainer.train()
import wandb  # noqa: E402 (only now: the library must be the first to import it)

run_id = wandb.run.id
wandb.finish()
print("JOB " + json.dumps({"run": run_id}))
