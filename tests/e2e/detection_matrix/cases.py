"""The labelled cases of the framework-detection matrix.

Each case is an image (the distributions installed in its site folder), one job per pod (a
script that imports the frameworks in the order real code does, before or after `wandb.init`,
and the launcher's environment, stale variables included), and the label: what the job runs.
Scripts call the frameworks' own entry points, which call wandb themselves, as real ones do.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

TORCHRUN = {"TORCHELASTIC_RUN_ID": "matrix", "RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1",
            "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}

# What a Lightning job writes; `{pkg}` is lightning or pytorch_lightning, `{strategy}` its strategy.
LIGHTNING = """
import torch
import {pkg} as L
from {loggers} import WandbLogger

class Tiny(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.save_hyperparameters({{"hidden": 16, "lr": 0.05}})

trainer = L.Trainer(max_epochs=2, logger=WandbLogger(project="lit-tiny"), strategy="{strategy}")
trainer.fit(Tiny())
"""


def lightning(pkg: str = "lightning", strategy: str = "auto") -> str:
    loggers = "lightning.pytorch.loggers" if pkg == "lightning" else pkg + ".loggers"
    return LIGHTNING.format(pkg=pkg, loggers=loggers, strategy=strategy)


def hf(**args: str) -> str:
    extra = "".join(", %s=%r" % kv for kv in args.items())
    return ("import torch\nfrom transformers import Trainer, TrainingArguments\n"
            "Trainer(model=torch.nn.Linear(), args=TrainingArguments(run_name='hf-tiny'%s)).train()\n" % extra)


ACCELERATE = """
from accelerate import Accelerator
accelerator = Accelerator(log_with="wandb")
accelerator.init_trackers("acc-tiny", config={"lr": 0.1, "epochs": 2})
for step in range(6):
    accelerator.log({"loss": 1.0 / (step + 1)}, step=step)
accelerator.end_training()
"""

MEGATRON = "from megatron.training import pretrain\npretrain()\n"
TORCHTITAN = "import os\nfrom torchtitan.train import main\nmain(os.path.join(os.environ['WANDB_DIR'], 'titan'))\n"


@dataclass
class Job:
    script: str
    env: Dict[str, str] = field(default_factory=dict)
    pod: str = "pod-0"
    # "dev": the .venv with the packages above; "frameworks": the real libraries' venv
    venv: str = "dev"
    # the job's detection reports are lost on the way (only its metrics arrive)
    drop_detection: bool = False


@dataclass
class Case:
    id: str
    group: str
    title: str
    installed: Tuple[str, ...]
    jobs: List[Job]
    # the label: (framework, wrapper, base) of the merged answer
    expect: Tuple[str, Optional[str], Optional[str]]
    status: Optional[str] = None
    # the framework the run's metric names must be read as, when they are recognisable
    metrics: Optional[str] = None


CASES: List[Case] = [
    # ---- each framework alone ----
    Case("primus-megatron", "alone", "Primus, backend Megatron (torchrun, EXP set by the launcher)",
         ("primus", "megatron-core"), [Job("from primus.cli import main\nmain('megatron', 'llama2-7b')\n",
                                           dict(TORCHRUN, PRIMUS_CONFIG="/workspace/Primus/examples/megatron/configs/llama2_7B.yaml",
                                                EXP="examples/megatron/configs/llama2_7B.yaml"))],
         ("primus", "primus", "megatron"), metrics="megatron"),
    Case("megatron", "alone", "Megatron-LM pretrain_gpt under torchrun", ("megatron-core",),
         [Job(MEGATRON, dict(TORCHRUN))], ("megatron", None, "megatron"), metrics="megatron"),
    Case("deepspeed", "alone", "DeepSpeed engine, its wandb monitor on, the user's own loop", ("deepspeed",),
         [Job("import torch, deepspeed, wandb\n"
              "engine, _, _, _ = deepspeed.initialize(model=torch.nn.Linear(), config={'train_batch_size': 8, 'wandb': {'enabled': True}})\n"
              "wandb.init(project='bert-ds', config={'zero_optimization': {'stage': 2}, 'train_micro_batch_size_per_gpu': 1,"
              " 'train_batch_size': 8, 'gradient_accumulation_steps': 8, 'steps_per_print': 10})\n"
              "for step in range(8):\n    engine.step()\n    wandb.log({'loss': 1.0 / (step + 1)}, step=engine.global_samples)\n"
              "wandb.finish()\n", dict(TORCHRUN))],
         ("deepspeed", None, "deepspeed"), metrics="deepspeed"),
    Case("torchtitan", "alone", "TorchTitan train (FSDP2 applied by TorchTitan itself)", ("torchtitan",),
         [Job(TORCHTITAN, dict(TORCHRUN))], ("torchtitan", None, "torchtitan"), metrics="torchtitan"),
    Case("lightning", "alone", "Lightning Trainer + WandbLogger on CPU", ("lightning",),
         [Job(lightning())], ("lightning", "lightning", "pytorch"), metrics="lightning"),
    Case("pytorch-lightning", "alone", "the same through the pytorch_lightning package", ("pytorch-lightning",),
         [Job(lightning("pytorch_lightning"))], ("lightning", "lightning", "pytorch"), metrics="lightning"),
    Case("hf-trainer", "alone", "HF Trainer(report_to='wandb')", ("transformers",),
         [Job(hf())], ("transformers", "transformers", "pytorch"), metrics="transformers"),
    Case("accelerate", "alone", "Accelerate trackers (log_with='wandb'), no launcher", ("accelerate",),
         [Job(ACCELERATE)], ("accelerate", "accelerate", "pytorch")),
    Case("nemo-megatron", "alone", "NeMo 2 llm.train with its MegatronStrategy", ("nemo-toolkit",),
         [Job("from nemo.collections import llm\nllm.train()\n", dict(TORCHRUN))], ("nemo", "nemo", "megatron"), metrics="nemo"),
    Case("colossalai", "alone", "ColossalAI launch_from_torch, the user's loop", ("colossalai",),
         [Job("import torch, colossalai, wandb\ncolossalai.launch_from_torch()\nwandb.init(project='colossal')\n"
              "for step in range(5):\n    wandb.log({'loss': 1.0 / (step + 1)}, step=step)\nwandb.finish()\n", dict(TORCHRUN))],
         ("colossalai", None, "colossalai")),
    Case("jax", "alone", "JAX, no torch in the process", ("jax",),
         [Job("import jax, wandb\nwandb.init(project='flax-mnist')\nfor step in range(5):\n"
              "    wandb.log({'loss': 1.0 / (step + 1), 'devices': len(jax.devices())}, step=step)\nwandb.finish()\n")],
         ("jax", None, "jax")),

    # ---- each wrapper over each of its usual bases ----
    Case("primus-torchtitan", "wrapper over base", "Primus, backend TorchTitan", ("primus", "torchtitan"),
         [Job("from primus.cli import main\nmain('torchtitan', 'llama3-8b')\n",
              dict(TORCHRUN, PRIMUS_CONFIG="/workspace/Primus/examples/torchtitan/configs/llama3_8B.yaml"))],
         ("primus", "primus", "torchtitan"), metrics="torchtitan"),
    Case("lightning-deepspeed", "wrapper over base", "Lightning, strategy='deepspeed'", ("lightning", "deepspeed"),
         [Job(lightning(strategy="deepspeed"), dict(TORCHRUN))], ("lightning", "lightning", "deepspeed"), metrics="lightning"),
    Case("lightning-fsdp", "wrapper over base", "Lightning ModelParallelStrategy (fully_shard, FSDP2)", ("lightning",),
         [Job(lightning(strategy="model_parallel"), dict(TORCHRUN))], ("lightning", "lightning", "fsdp"), metrics="lightning"),
    Case("hf-deepspeed", "wrapper over base", "HF Trainer, TrainingArguments(deepspeed=…)", ("transformers", "deepspeed"),
         [Job(hf(deepspeed="ds_z2.json"), dict(TORCHRUN))], ("transformers", "transformers", "deepspeed"), metrics="transformers"),
    Case("hf-fsdp", "wrapper over base", "HF Trainer, TrainingArguments(fsdp='full_shard')", ("transformers",),
         [Job(hf(fsdp="full_shard auto_wrap"), dict(TORCHRUN))], ("transformers", "transformers", "fsdp"), metrics="transformers"),
    Case("accelerate-deepspeed", "wrapper over base", "accelerate launch with a DeepSpeed config", ("accelerate", "deepspeed"),
         [Job(ACCELERATE, dict(TORCHRUN, ACCELERATE_USE_DEEPSPEED="true", ACCELERATE_DEEPSPEED_ZERO_STAGE="2"))],
         ("accelerate", "accelerate", "deepspeed")),
    Case("accelerate-fsdp", "wrapper over base", "accelerate launch with an FSDP config", ("accelerate",),
         [Job(ACCELERATE, dict(TORCHRUN, ACCELERATE_USE_FSDP="true", FSDP_SHARDING_STRATEGY="FULL_SHARD"))],
         ("accelerate", "accelerate", "fsdp")),
    Case("accelerate-megatron", "wrapper over base", "accelerate launch with Megatron-LM", ("accelerate", "megatron-core"),
         [Job(ACCELERATE, dict(TORCHRUN, ACCELERATE_USE_MEGATRON_LM="true", MEGATRON_LM_TP_DEGREE="1"))],
         ("accelerate", "accelerate", "megatron")),
    Case("megatron-deepspeed", "wrapper over base", "Megatron-DeepSpeed: Megatron with the DeepSpeed engine", ("megatron-core", "deepspeed"),
         [Job("import deepspeed\nfrom megatron.training import pretrain\nfrom megatron.training.training import default_args\n"
              "pretrain(default_args(deepspeed=True), before_train=lambda a: deepspeed.initialize(config={'train_batch_size': 8}))\n",
              dict(TORCHRUN))], ("megatron", None, "megatron"), metrics="megatron"),

    # ---- traps: static evidence against what runs ----
    Case("trap-stale-megatron-env", "trap", "image bakes MEGATRON_LM_PATH/MEGATRON_CONFIG, the job runs TorchTitan",
         ("megatron-core", "torchtitan"),
         [Job(TORCHTITAN, dict(TORCHRUN, MEGATRON_LM_PATH="/opt/Megatron-LM", MEGATRON_CONFIG="/opt/megatron.yaml"))],
         ("torchtitan", None, "torchtitan"), metrics="torchtitan"),
    Case("trap-stale-primus-env", "trap", "Primus image (PRIMUS_CONFIG, PRIMUS_BACKEND baked), the job runs a plain HF Trainer",
         ("primus", "megatron-core", "transformers"),
         [Job(hf(), dict(PRIMUS_CONFIG="/workspace/Primus/exp.yaml", PRIMUS_BACKEND="megatron"))],
         ("transformers", "transformers", "pytorch"), metrics="transformers"),
    Case("trap-stale-deepspeed-env", "trap", "image bakes DEEPSPEED_CONFIG, the job is Lightning on CPU", ("lightning", "deepspeed"),
         [Job(lightning(), dict(DEEPSPEED_CONFIG="/workspace/ds_config.json"))], ("lightning", "lightning", "pytorch"), metrics="lightning"),
    Case("trap-lightning-plumbing", "trap", "Lightning loads torch.distributed.fsdp and transformers itself; neither is used",
         ("lightning", "transformers"), [Job(lightning())], ("lightning", "lightning", "pytorch"), metrics="lightning"),
    Case("trap-late-import", "trap", "wandb.init first, Lightning imported after it (WandbLogger reuses the run)", ("lightning",),
         [Job("import wandb\nwandb.init(project='lit-late')\n" + lightning())], ("lightning", "lightning", "pytorch"), metrics="lightning"),
    Case("trap-megatron-tokenizer", "trap", "Megatron job that loads an HF tokenizer", ("megatron-core", "transformers"),
         [Job("from transformers import AutoTokenizer\nAutoTokenizer.from_pretrained('gpt2')\n" + MEGATRON, dict(TORCHRUN))],
         ("megatron", None, "megatron"), metrics="megatron"),
    Case("trap-everything-installed", "trap", "an image with every framework installed; the job runs Megatron",
         ("primus", "megatron-core", "deepspeed", "torchtitan", "lightning", "transformers", "accelerate", "nemo-toolkit",
          "colossalai", "jax"),
         [Job(MEGATRON, dict(TORCHRUN))], ("megatron", None, "megatron"), metrics="megatron"),

    # ---- pods that disagree ----
    Case("pods-disagree", "pods", "pod-a runs Lightning, pod-b runs Megatron, one workload", ("lightning", "megatron-core"),
         [Job(lightning(), pod="pod-a"), Job(MEGATRON, dict(TORCHRUN), pod="pod-b")],
         ("megatron", None, "megatron"), status="conflict"),

    # ---- no detection report at all: the metric names only ----
    Case("no-report-megatron", "no report", "Megatron; its detection report never arrives", ("megatron-core",),
         [Job(MEGATRON, dict(TORCHRUN), drop_detection=True)], ("megatron", None, "megatron"), status="suspected", metrics="megatron"),
    Case("no-report-hf", "no report", "HF Trainer; its detection report never arrives", ("transformers",),
         [Job(hf(), drop_detection=True)], ("transformers", "transformers", None), status="suspected", metrics="transformers"),

    # ---- the real libraries, on CPU, tiny models ----
    Case("real-hf-trainer", "real", "real transformers Trainer(report_to='wandb'), tiny GPT-2", (),
         [Job("@jobs/hf_trainer.py", venv="frameworks")], ("transformers", "transformers", "pytorch"), metrics="transformers"),
    Case("real-lightning", "real", "real Lightning Trainer + WandbLogger, tiny module", (),
         [Job("@jobs/lightning_logger.py", venv="frameworks")], ("lightning", "lightning", "pytorch"), metrics="lightning"),
]
