"""Packages named like the training frameworks, written into a temporary site folder.

Each has a `__version__`, pip metadata (a `.dist-info` folder, so `importlib.metadata` lists it
as installed), the module layout the exporter and the server look at, and, where the real
framework has one, the state its own code keeps and the "is initialised" function of the real
API, with the same names (checked against each framework's source). Their training entry points
call wandb the way the real ones do: `wandb.init` where the framework calls it, with the config
it passes, and `wandb.log` with the metric names its own logging code uses. They also import
what the real ones import for their own plumbing (Lightning: torch.distributed.fsdp, and
transformers when installed, through torchmetrics).

Nothing here is imported by the test process; the job scripts import it through PYTHONPATH.
"""
from __future__ import annotations

import os
import textwrap
from typing import Dict, Iterable, Tuple

# distribution name -> (version, {relative path: source})
Package = Tuple[str, Dict[str, str]]

_TORCH: Package = ("2.4.0+lens.test", {
    "torch/__init__.py": """
        __version__ = "2.4.0+lens.test"
        from torch import version, cuda, nn, distributed  # real torch imports torch.distributed at import
        def manual_seed(seed):
            return seed
    """,
    "torch/version.py": "cuda = None\nhip = None\n",
    "torch/cuda.py": """
        def is_available():
            return False
        def is_initialized():
            return False
        def device_count():
            return 0
    """,
    "torch/nn.py": """
        class Module:
            def __init__(self):
                self.training = True
        class Linear(Module):
            def __init__(self, n_in=8, n_out=8):
                super().__init__()
                self.shape = (n_in, n_out)
    """,
    "torch/distributed/__init__.py": """
        _group = None
        def is_initialized():
            return _group is not None
        def init_process_group(backend="gloo", **kwargs):
            global _group
            _group = backend
        def get_world_size():
            return 1
        def get_rank():
            return 0
    """,
    # fully_shard (FSDP2) records a state per sharded module, as torch's composable APIs do.
    "torch/distributed/_composable_state.py": """
        import weakref
        class _State:
            pass
        _module_state_mapping = weakref.WeakKeyDictionary()
        def _insert_module_state(module, state):
            _module_state_mapping[module] = weakref.ref(state)
    """,
    "torch/distributed/fsdp/__init__.py": """
        from torch.distributed.fsdp._fully_shard import FSDPModule, fully_shard
        class FullyShardedDataParallel:
            def __init__(self, module):
                self.module = module
    """,
    "torch/distributed/fsdp/_fully_shard.py": """
        from torch.distributed._composable_state import _State, _insert_module_state
        class FSDPState(_State):
            pass
        class FSDPModule:
            pass
        _states = []
        def fully_shard(module):
            state = FSDPState()
            _states.append(state)
            _insert_module_state(module, state)
            return module
    """,
    "torch/_dynamo.py": "import torch.distributed.fsdp  # torch's compiler stack loads FSDP for its own tracing\n",
})

_MEGATRON: Package = ("0.8.0", {
    "megatron/__init__.py": "",
    "megatron/core/__init__.py": "__version__ = '0.8.0'\nfrom megatron.core import parallel_state\n",
    "megatron/core/parallel_state.py": """
        import torch.distributed as dist
        _TENSOR_MODEL_PARALLEL_GROUP = None
        _PIPELINE_MODEL_PARALLEL_GROUP = None
        _DATA_PARALLEL_GROUP = None
        def initialize_model_parallel(tensor_model_parallel_size=1, pipeline_model_parallel_size=1):
            global _TENSOR_MODEL_PARALLEL_GROUP, _PIPELINE_MODEL_PARALLEL_GROUP, _DATA_PARALLEL_GROUP
            assert dist.is_initialized(), "torch.distributed is not initialized"
            _TENSOR_MODEL_PARALLEL_GROUP = ("tp", tensor_model_parallel_size)
            _PIPELINE_MODEL_PARALLEL_GROUP = ("pp", pipeline_model_parallel_size)
            _DATA_PARALLEL_GROUP = ("dp", 1)
        def model_parallel_is_initialized():
            if _TENSOR_MODEL_PARALLEL_GROUP is None or _PIPELINE_MODEL_PARALLEL_GROUP is None or _DATA_PARALLEL_GROUP is None:
                return False
            return True
    """,
    "megatron/training/__init__.py": """
        from megatron.training.global_vars import get_args, get_wandb_writer
        from megatron.training.training import pretrain
    """,
    "megatron/training/global_vars.py": """
        import os
        _GLOBAL_ARGS = None
        _GLOBAL_WANDB_WRITER = None
        def get_args():
            assert _GLOBAL_ARGS is not None, "args is not initialized."
            return _GLOBAL_ARGS
        def get_wandb_writer():
            return _GLOBAL_WANDB_WRITER
        def set_global_variables(args):
            global _GLOBAL_ARGS
            _GLOBAL_ARGS = args
            _set_wandb_writer(args)
        def _set_wandb_writer(args):
            # as Megatron does: the last rank logs, with the whole argparse namespace as config
            global _GLOBAL_WANDB_WRITER
            if getattr(args, "wandb_project", "") and args.rank == args.world_size - 1:
                import wandb
                wandb.init(dir=os.path.join(args.save, "wandb"), name=args.wandb_exp_name,
                           project=args.wandb_project, config=vars(args))
                _GLOBAL_WANDB_WRITER = wandb
    """,
    "megatron/training/training.py": """
        import argparse
        import torch.distributed as dist
        from megatron.core import parallel_state
        from megatron.training import global_vars
        def default_args(**overrides):
            args = argparse.Namespace(
                tensor_model_parallel_size=1, pipeline_model_parallel_size=1, micro_batch_size=1, global_batch_size=8,
                seq_length=128, num_layers=2, hidden_size=64, num_attention_heads=4, max_position_embeddings=128,
                train_iters=12, lr_decay_style="cosine", make_vocab_size_divisible_by=128, tokenizer_type="GPT2BPETokenizer",
                use_distributed_optimizer=False, sequence_parallel=False, lr=3e-4, save="/tmp",
                wandb_project="megatron", wandb_exp_name="gpt-tiny", rank=0, world_size=1,
                log_loss_scale_to_tensorboard=True, deepspeed=False)
            for key, value in overrides.items():
                setattr(args, key, value)
            return args
        def training_log(args, iteration, loss, lr, grad_norm):
            # megatron/training/training.py training_log(): one wandb.log per name, step = iteration
            writer = global_vars.get_wandb_writer()
            if writer is None:
                return
            writer.log({"samples vs steps": iteration * args.global_batch_size}, iteration)
            writer.log({"learning-rate": lr}, iteration)
            writer.log({"batch-size": args.global_batch_size}, iteration)
            writer.log({"lm loss": loss}, iteration)
            if args.log_loss_scale_to_tensorboard:
                writer.log({"loss-scale": 65536.0}, iteration)
            writer.log({"grad-norm": grad_norm}, iteration)
        def pretrain(args=None, before_train=None):
            args = args or default_args()
            if not dist.is_initialized():
                dist.init_process_group("gloo")
            global_vars.set_global_variables(args)
            parallel_state.initialize_model_parallel(args.tensor_model_parallel_size, args.pipeline_model_parallel_size)
            if before_train is not None:
                before_train(args)
            for iteration in range(1, args.train_iters + 1):
                training_log(args, iteration, 9.0 / iteration, args.lr, 1.5)
            writer = global_vars.get_wandb_writer()
            if writer is not None:
                writer.finish()
    """,
})
_MEGATRON_DIST = {"megatron-core": "0.8.0"}

_DEEPSPEED: Package = ("0.14.4", {
    "deepspeed/__init__.py": """
        __version__ = "0.14.4"
        from deepspeed import comm
        from deepspeed.runtime.engine import DeepSpeedEngine
        def init_distributed(dist_backend="gloo"):
            comm.init_distributed(dist_backend)
        def initialize(model=None, config=None, **kwargs):
            init_distributed()
            engine = DeepSpeedEngine(model, config or {})
            return engine, None, None, None
    """,
    "deepspeed/comm/__init__.py": "from deepspeed.comm.comm import *\n",
    "deepspeed/comm/comm.py": """
        import torch.distributed as dist
        cdb = None
        def init_distributed(dist_backend="gloo", **kwargs):
            global cdb
            if not dist.is_initialized():
                dist.init_process_group(dist_backend)
            cdb = dist_backend
        def is_initialized():
            return cdb is not None
        __all__ = ["init_distributed", "is_initialized"]
    """,
    "deepspeed/runtime/__init__.py": "",
    "deepspeed/runtime/engine.py": """
        class DeepSpeedEngine:
            # the engine's monitor logs its summary events under Train/Samples/ when the config enables wandb
            def __init__(self, model, config):
                self.module = model
                self.config = config
                self.global_samples = 0
                self.monitor = config.get("wandb", {}).get("enabled", False)
            def step(self, lr=1e-4):
                self.global_samples += self.config.get("train_batch_size", 8)
                if self.monitor:
                    import wandb
                    wandb.log({"Train/Samples/lr": lr}, step=self.global_samples)
    """,
})

_TORCHTITAN: Package = ("0.1.0", {
    "torchtitan/__init__.py": "__version__ = '0.1.0'\n",
    "torchtitan/components/__init__.py": "",
    "torchtitan/components/metrics.py": """
        import os
        class WandBLogger:
            # torchtitan/components/metrics.py: wandb.init with the job config; a tag prefixes every key
            def __init__(self, log_dir, config_dict=None, tag=None):
                import wandb
                self.wandb = wandb
                self.tag = tag
                os.makedirs(log_dir, exist_ok=True)
                wandb.init(project=os.getenv("WANDB_PROJECT", "torchtitan"), dir=log_dir, config=config_dict)
            def log(self, metrics, step):
                self.wandb.log({(k if self.tag is None else self.tag + "/" + k): v for k, v in metrics.items()}, step=step)
            def close(self):
                self.wandb.finish()
        def processor_metrics(loss, grad_norm):
            return {
                "loss_metrics/global_avg_loss": loss, "loss_metrics/global_max_loss": loss * 1.1, "grad_norm": grad_norm,
                "throughput(tps)": 1200.0, "tflops": 3.1, "time_metrics/end_to_end(s)": 0.2,
                "time_metrics/data_loading(s)": 0.01, "time_metrics/data_loading(%)": 5.0,
                "memory/max_active(GiB)": 1.0, "memory/max_active(%)": 2.0, "memory/max_reserved(GiB)": 1.5,
                "memory/max_reserved(%)": 3.0, "memory/num_alloc_retries": 0, "memory/num_ooms": 0, "mfu(%)": 31.0,
            }
    """,
    "torchtitan/train.py": """
        import torch.distributed as dist
        from torch.distributed.fsdp import fully_shard
        from torch.nn import Linear
        from torchtitan.components.metrics import WandBLogger, processor_metrics
        def job_config():
            return {
                "job": {"dump_folder": "/tmp/outputs", "description": "llama3 debug"}, "profiling": {"enable_profiling": False},
                "metrics": {"log_freq": 1, "enable_wandb": True}, "model": {"name": "llama3", "flavor": "debugmodel"},
                "optimizer": {"name": "AdamW", "lr": 8e-4}, "lr_scheduler": {"warmup_steps": 2}, "training": {"steps": 10},
                "parallelism": {"data_parallel_shard_degree": -1, "tensor_parallel_degree": 1, "pipeline_parallel_degree": 1},
                "checkpoint": {"enable_checkpoint": False}, "activation_checkpoint": {"mode": "selective"},
                "float8": {}, "comm": {"init_timeout_seconds": 300},
            }
        def main(log_dir, config=None, steps=10):
            config = config or job_config()
            if not dist.is_initialized():
                dist.init_process_group("gloo")
            layers = [fully_shard(Linear()) for _ in range(2)]
            logger = WandBLogger(log_dir, config_dict=config)
            for step in range(1, steps + 1):
                logger.log({**processor_metrics(5.0 / step, 1.2), "n_tokens_seen": step * 2048, "lr": 8e-4}, step)
            logger.close()
            return layers
    """,
})

_LIGHTNING_CORE = {
    "__init__.py": """
        __version__ = "2.3.0"
        import torch._dynamo  # Lightning loads torch's compiler stack, which loads torch.distributed.fsdp
        try:
            import transformers  # torchmetrics' text metrics import it when it is installed
        except ImportError:
            pass
        from {pkg}.trainer import LightningModule, Trainer
    """,
    "trainer.py": """
        class LightningModule:
            def __init__(self):
                self.hparams = {{}}
            def save_hyperparameters(self, hparams):
                self.hparams = dict(hparams)
            def training_step(self, step):
                return {{"train_loss": 1.0 / (step + 1)}}
        class Trainer:
            def __init__(self, max_epochs=2, steps_per_epoch=4, logger=None, strategy="auto"):
                self.max_epochs, self.steps_per_epoch, self.logger, self.strategy = max_epochs, steps_per_epoch, logger, strategy
            def _setup_strategy(self, module):
                if self.strategy == "deepspeed":
                    import deepspeed
                    deepspeed.init_distributed("gloo")
                elif self.strategy == "model_parallel":
                    import torch.distributed as dist
                    from torch.distributed.fsdp import fully_shard
                    from torch.nn import Linear
                    dist.init_process_group("gloo")
                    self._sharded = [fully_shard(Linear()) for _ in range(2)]
            def fit(self, module):
                self._setup_strategy(module)
                if self.logger is not None:
                    self.logger.log_hyperparams(module.hparams)
                step = 0
                for epoch in range(self.max_epochs):
                    for _ in range(self.steps_per_epoch):
                        metrics = dict(module.training_step(step))
                        metrics.setdefault("epoch", epoch)  # the logger connector adds the epoch
                        if self.logger is not None:
                            self.logger.log_metrics(metrics, step)
                        step += 1
                if self.logger is not None:
                    self.logger.finalize()
    """,
    "loggers/__init__.py": "from {pkg}.loggers.wandb import WandbLogger\n",
    "loggers/wandb.py": """
        class WandbLogger:
            # lightning/pytorch/loggers/wandb.py: the run starts on first use; it reuses wandb.run if there is one
            def __init__(self, project=None, name=None, save_dir="."):
                self._init = {{"project": project, "name": name, "dir": save_dir}}
                self._experiment = None
            @property
            def experiment(self):
                if self._experiment is None:
                    import wandb
                    self._experiment = wandb.run if wandb.run is not None else wandb.init(**self._init)
                    self._experiment.define_metric("trainer/global_step")
                    self._experiment.define_metric("*", step_metric="trainer/global_step", step_sync=True)
                return self._experiment
            def log_hyperparams(self, params):
                self.experiment.config.update(params, allow_val_change=True)
            def log_metrics(self, metrics, step=None):
                self.experiment.log(dict(metrics, **{{"trainer/global_step": step}}))
            def finalize(self):
                self.experiment.finish()
    """,
}


def _lightning(package: str, version: str) -> Package:
    """`lightning` keeps the trainer under lightning.pytorch; `pytorch_lightning` at its top."""
    root = "lightning/pytorch" if package == "lightning" else package
    files = {"%s/%s" % (root, path): body.format(pkg=root.replace("/", ".")) for path, body in _LIGHTNING_CORE.items()}
    if package == "lightning":
        files["lightning/__init__.py"] = files.pop("lightning/pytorch/__init__.py")
        files["lightning/pytorch/__init__.py"] = "from lightning.pytorch.trainer import LightningModule, Trainer\n"
    return version, files


_TRANSFORMERS: Package = ("4.44.0", {
    "transformers/__init__.py": """
        __version__ = "4.44.0"
        import importlib
        # transformers is a lazy module: `from transformers import Trainer` loads transformers.trainer then
        _LAZY = {"Trainer": "transformers.trainer", "TrainingArguments": "transformers.training_args",
                 "AutoTokenizer": "transformers.tokenization"}
        def __getattr__(name):
            if name in _LAZY:
                return getattr(importlib.import_module(_LAZY[name]), name)
            raise AttributeError(name)
    """,
    "transformers/tokenization.py": """
        class AutoTokenizer:
            @classmethod
            def from_pretrained(cls, name):
                return cls()
    """,
    "transformers/training_args.py": """
        import dataclasses
        import os
        @dataclasses.dataclass
        class TrainingArguments:
            output_dir: str = "out"
            per_device_train_batch_size: int = 2
            per_device_eval_batch_size: int = 2
            gradient_accumulation_steps: int = 1
            learning_rate: float = 5e-5
            num_train_epochs: float = 3.0
            max_steps: int = 6
            logging_steps: int = 1
            logging_strategy: str = "steps"
            save_strategy: str = "no"
            eval_strategy: str = "no"
            report_to: tuple = ("wandb",)
            lr_scheduler_type: str = "linear"
            warmup_ratio: float = 0.0
            dataloader_num_workers: int = 0
            push_to_hub: bool = False
            optim: str = "adamw_torch"
            run_name: str = "hf-run"
            deepspeed: object = None
            fsdp: str = ""
            def __post_init__(self):
                # as HF does: DeepSpeed and FSDP go through Accelerate, configured by these variables
                if self.deepspeed:
                    os.environ["ACCELERATE_USE_DEEPSPEED"] = "true"
                if self.fsdp:
                    os.environ["ACCELERATE_USE_FSDP"] = "true"
                from accelerate.state import PartialState
                self.distributed_state = PartialState()
            def to_dict(self):
                return {f.name: (list(v) if isinstance(v, tuple) else v)
                        for f in dataclasses.fields(self) for v in [getattr(self, f.name)]}
    """,
    "transformers/trainer.py": """
        import os
        import accelerate
        import torch.distributed.fsdp  # transformers.distributed.fsdp loads torch's FSDP API with the Trainer
        from transformers.training_args import TrainingArguments
        def rewrite_logs(d):
            out = {}
            for k, v in d.items():
                out[("eval/" + k[5:]) if k.startswith("eval_") else ("train/" + k)] = v
            return out
        class WandbCallback:
            # integration_utils.WandbCallback: init, then the config update, then define_metric
            def setup(self, args, model_config):
                import wandb
                self._wandb = wandb
                if wandb.run is None:
                    wandb.init(project=os.getenv("WANDB_PROJECT", "huggingface"), name=args.run_name)
                wandb.config.update({**model_config, **args.to_dict()}, allow_val_change=True)
                wandb.define_metric("train/global_step")
                wandb.define_metric("*", step_metric="train/global_step", step_sync=True)
            def on_log(self, step, logs):
                self._wandb.log({**rewrite_logs(logs), "train/global_step": step})
        class Trainer:
            def __init__(self, model=None, args=None, train_dataset=None):
                self.model, self.args = model, args or TrainingArguments()
            def train(self):
                if self.args.deepspeed:
                    import deepspeed
                    deepspeed.initialize(model=self.model, config={"train_batch_size": 8})
                if self.args.fsdp:
                    from torch.distributed.fsdp import FullyShardedDataParallel
                    self.model = FullyShardedDataParallel(self.model)
                callback = WandbCallback()
                callback.setup(self.args, {"_name_or_path": "tiny-gpt2", "model_type": "gpt2"})
                for step in range(1, self.args.max_steps + 1):
                    callback.on_log(step, {"loss": 4.0 / step, "grad_norm": 1.0, "learning_rate": 5e-5, "epoch": step / 3})
                callback.on_log(self.args.max_steps, {"eval_loss": 2.0, "eval_runtime": 0.5, "eval_samples_per_second": 40.0,
                                                      "eval_steps_per_second": 20.0, "epoch": 2.0})
                self._wandb_finish()
            def _wandb_finish(self):
                import wandb
                wandb.finish()
    """,
})

_ACCELERATE: Package = ("0.33.0", {
    "accelerate/__init__.py": "__version__ = '0.33.0'\nimport torch\nfrom accelerate.accelerator import Accelerator\n",
    "accelerate/state.py": """
        import enum
        import os
        class DistributedType(str, enum.Enum):
            NO = "NO"
            MULTI_GPU = "MULTI_GPU"
            DEEPSPEED = "DEEPSPEED"
            FSDP = "FSDP"
            MEGATRON_LM = "MEGATRON_LM"
        def _flag(name):
            return os.environ.get(name, "false").lower() in ("1", "true", "yes")
        class PartialState:
            # a Borg: every instance shares _shared_state, as in accelerate/state.py
            _shared_state = {}
            def __init__(self):
                self.__dict__ = self._shared_state
                if not self._shared_state:
                    if _flag("ACCELERATE_USE_DEEPSPEED"):
                        kind = DistributedType.DEEPSPEED
                    elif _flag("ACCELERATE_USE_FSDP"):
                        kind = DistributedType.FSDP
                    elif _flag("ACCELERATE_USE_MEGATRON_LM"):
                        kind = DistributedType.MEGATRON_LM
                    else:
                        kind = DistributedType.NO
                    self.distributed_type = kind
    """,
    "accelerate/accelerator.py": """
        from accelerate.state import DistributedType, PartialState
        class Accelerator:
            def __init__(self, log_with=None):
                self.state = PartialState()
                self.log_with = log_with
                self.run = None
                if self.state.distributed_type == DistributedType.DEEPSPEED:
                    import deepspeed
                    deepspeed.init_distributed("gloo")
                elif self.state.distributed_type == DistributedType.MEGATRON_LM:
                    import torch.distributed as dist
                    from megatron.core import parallel_state
                    dist.init_process_group("gloo")
                    parallel_state.initialize_model_parallel()
            def init_trackers(self, project_name, config=None):
                # accelerate's WandBTracker: wandb.init, then the config update
                if self.log_with == "wandb":
                    import wandb
                    self.run = wandb.init(project=project_name)
                    self.run.config.update(config or {}, allow_val_change=True)
            def log(self, values, step=None):
                if self.run is not None:
                    self.run.log(values, step=step)
            def end_training(self):
                if self.run is not None:
                    self.run.finish()
    """,
})

_NEMO: Package = ("2.0.0", {
    "nemo/__init__.py": "__version__ = '2.0.0'\n",
    "nemo/lightning/__init__.py": """
        # nemo.lightning imports its strategies at import: Megatron Core and torch's FSDP come with it
        import lightning
        from megatron.core import parallel_state
        import torch.distributed.fsdp
        from nemo.lightning.strategies import MegatronStrategy
    """,
    "nemo/lightning/strategies.py": """
        import torch.distributed as dist
        from megatron.core import parallel_state
        class MegatronStrategy:
            def __init__(self, tensor_model_parallel_size=1):
                self.tp = tensor_model_parallel_size
            def setup(self):
                if not dist.is_initialized():
                    dist.init_process_group("gloo")
                parallel_state.initialize_model_parallel(self.tp)
    """,
    "nemo/collections/__init__.py": "",
    "nemo/collections/llm/__init__.py": """
        from lightning.pytorch.loggers import WandbLogger
        from nemo.lightning import MegatronStrategy
        def train(steps=8, logger=None):
            # MegatronStrategy logs reduced_train_loss, global_step, consumed_samples; the TimingCallback
            # `train_step_timing in s`; all through the Lightning logger
            strategy = MegatronStrategy()
            strategy.setup()
            logger = logger or WandbLogger(project="nemo")
            for step in range(steps):
                logger.log_metrics({"reduced_train_loss": 3.0 / (step + 1), "lr": 1e-4, "global_step": step,
                                    "consumed_samples": step * 8, "train_step_timing in s": 0.3, "epoch": 0}, step)
            logger.finalize()
    """,
})
_NEMO_DIST = {"nemo-toolkit": "2.0.0"}

_COLOSSALAI: Package = ("0.4.0", {
    "colossalai/__init__.py": """
        __version__ = "0.4.0"
        def launch_from_torch(**kwargs):
            import torch.distributed as dist
            dist.init_process_group("gloo")
    """,
})

_JAX: Package = ("0.4.30", {
    "jax/__init__.py": "__version__ = '0.4.30'\ndef devices():\n    return ['cpu:0']\n",
})

_PRIMUS: Package = ("0.4.0", {
    "primus/__init__.py": "__version__ = '0.4.0'\n",
    "primus/core/__init__.py": "",
    "primus/core/utils/__init__.py": "",
    "primus/core/utils/global_vars.py": """
        _GLOBAL_PRIMUS_CFG = None
        def is_initialized():
            if _GLOBAL_PRIMUS_CFG is None:
                return False
            return _GLOBAL_PRIMUS_CFG.initialized
        def set_initialized():
            _GLOBAL_PRIMUS_CFG.initialized = True
        def set_global_variables(cfg):
            global _GLOBAL_PRIMUS_CFG
            if _GLOBAL_PRIMUS_CFG:
                return
            _GLOBAL_PRIMUS_CFG = cfg
        def get_primus_config():
            assert _GLOBAL_PRIMUS_CFG is not None, "primus config is not initialized."
            return _GLOBAL_PRIMUS_CFG
    """,
    "primus/core/launcher/__init__.py": "",
    "primus/core/launcher/config.py": """
        from types import SimpleNamespace
        class PrimusConfig:
            def __init__(self, framework):
                self.initialized = False
                self._modules = {"pre_trainer": SimpleNamespace(framework=framework)}
            def get_module_config(self, module_name):
                if module_name not in self._modules:
                    raise ValueError("Primus config has no module named " + module_name)
                return self._modules[module_name]
    """,
    "primus/core/backend/__init__.py": "",
    "primus/core/backend/backend_registry.py": """
        import importlib
        def load_backend(backend):
            # Primus imports primus.backends.<backend> on demand, for the configured backend only
            return importlib.import_module("primus.backends." + backend)
    """,
    "primus/backends/__init__.py": "",
    "primus/backends/megatron/__init__.py": """
        from megatron.training import pretrain
        from megatron.training.training import default_args
        def run(exp_name):
            pretrain(default_args(wandb_project="primus", wandb_exp_name=exp_name))
    """,
    "primus/backends/torchtitan/__init__.py": """
        from torchtitan.train import main
        def run(exp_name):
            main("/tmp/primus-titan")
    """,
    "primus/cli.py": """
        from primus.core.backend.backend_registry import load_backend
        from primus.core.launcher.config import PrimusConfig
        from primus.core.utils import global_vars
        def main(framework, exp_name="exp"):
            cfg = PrimusConfig(framework)
            global_vars.set_global_variables(cfg)
            global_vars.set_initialized()
            load_backend(framework).run(exp_name)
    """,
})

# distribution name -> package; `torch` is written only where the interpreter has no real torch
PACKAGES: Dict[str, Package] = {
    "torch": _TORCH, "megatron-core": _MEGATRON, "deepspeed": _DEEPSPEED, "torchtitan": _TORCHTITAN,
    "lightning": _lightning("lightning", "2.3.0"), "pytorch-lightning": _lightning("pytorch_lightning", "2.3.0"),
    "transformers": _TRANSFORMERS, "accelerate": _ACCELERATE, "nemo-toolkit": _NEMO, "colossalai": _COLOSSALAI,
    "jax": _JAX, "primus": _PRIMUS,
}

# What each distribution needs installed beside it (its own imports).
REQUIRES: Dict[str, Tuple[str, ...]] = {
    "megatron-core": ("torch",), "deepspeed": ("torch",), "torchtitan": ("torch",), "lightning": ("torch",),
    "pytorch-lightning": ("torch",), "transformers": ("torch", "accelerate"), "accelerate": ("torch",),
    "nemo-toolkit": ("torch", "lightning", "megatron-core"), "colossalai": ("torch",), "primus": ("torch",),
}


def closure(names: Iterable[str]) -> Tuple[str, ...]:
    out: Dict[str, None] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in out:
            continue
        out[name] = None
        pending.extend(REQUIRES.get(name, ()))
    return tuple(sorted(out))


def write_site(folder: str, distributions: Iterable[str]) -> None:
    """Writes the distributions (and what they need) into `folder`, with their pip metadata."""
    for dist in closure(distributions):
        version, files = PACKAGES[dist]
        for path, body in files.items():
            target = os.path.join(folder, path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as handle:
                handle.write(textwrap.dedent(body).lstrip("\n"))
        info = os.path.join(folder, "%s-%s.dist-info" % (dist.replace("-", "_"), version.split("+")[0]))
        os.makedirs(info, exist_ok=True)
        with open(os.path.join(info, "METADATA"), "w", encoding="utf-8") as handle:
            handle.write("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (dist, version))
        with open(os.path.join(info, "top_level.txt"), "w", encoding="utf-8") as handle:
            handle.write("\n".join(sorted({path.split("/")[0] for path in files})) + "\n")
