"""What wandb-core stores: the partial-history rules, written independently of the exporter."""


class FakeCore:
    def __init__(self, starting_step=0):
        self.step = starting_step
        self.pending = {}
        self.history = []  # [(step, {key: value})]

    def partial(self, data, step, flush):
        if step is not None:
            if step > self.step:
                self._flush()
                self.step = step
            elif step < self.step:
                return
        self.pending.update(data)
        if flush is None:
            flush = step is None
        if flush:
            self._flush()
            self.step += 1

    def _flush(self):
        if self.pending:
            self.history.append((self.step, dict(self.pending)))
        self.pending = {}

    def finish(self):
        self._flush()
