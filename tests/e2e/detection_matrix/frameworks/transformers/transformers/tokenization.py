class AutoTokenizer:
    @classmethod
    def from_pretrained(cls, name):
        return cls()
