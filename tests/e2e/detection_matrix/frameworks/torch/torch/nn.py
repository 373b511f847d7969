class Module:
    def __init__(self):
        self.training = True
class Linear(Module):
    def __init__(self, n_in=8, n_out=8):
        super().__init__()
        self.shape = (n_in, n_out)
