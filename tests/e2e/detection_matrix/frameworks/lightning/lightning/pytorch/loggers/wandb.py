class WandbLogger:
    # lightning/pytorch/loggers/wandb.py: the run starts on first use; it reuses wandb.run if there is one
    def __init__(self, project=None, name=None, save_dir="."):
        self._init = {"project": project, "name": name, "dir": save_dir}
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
        self.experiment.log(dict(metrics, **{"trainer/global_step": step}))
    def finalize(self):
        self.experiment.finish()
