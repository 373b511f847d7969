"""The training scripts the integration tests run in real-wandb subprocesses.

Each prints one JSON line on stdout naming the run ids it created, so the test can look up
what wandb stored for each run and what our capture server received for it.
"""

FOUNDING = '''
import wandb
run = wandb.init(project="my-project", config={"framework": "primus"}, name="my-run")
for step in range(100):
    wandb.log({"loss": 0.5, "accuracy": 0.9}, step=step)
wandb.finish()
print(__import__("json").dumps({"run": run.id}))
'''

PATHS = '''
import json, threading, wandb
run = wandb.init(project="p")
again = wandb.init(project="p")
assert again is run, "a repeated wandb.init must return the same run"
wandb.log({"a": 1})
run.log({"b": 2})
def worker():
    for i in range(5):
        run.log({"t": i})
t = threading.Thread(target=worker)
t.start(); t.join(30)
run.finish()
with wandb.init(project="p2", reinit=True) as run2:
    run2.log({"w": 1})
    wandb.log({"w": 2})
print(json.dumps({"run": run.id, "with": run2.id}))
'''

CREATE_NEW = '''
import json, wandb
r1 = wandb.init(project="p")
r2 = wandb.init(project="p", reinit="create_new")
assert r1 is not r2
wandb.log({"a": 1})
r2.log({"b": 10})
r1.log({"a": 2})
r2.log({"b": 20})
r2.finish()
r1.finish()
print(json.dumps({"r1": r1.id, "r2": r2.id}))
'''

STEPS = '''
import json, math, wandb
import numpy as np
run = wandb.init(project="p")
run.log({"a": 1})                           # step omitted -> 0
run.log({"b": 2}, commit=False)             # partial row at 1
run.log({"c": 3})                           # completes row 1
run.log({"d": 4}, step=5)                   # given; row 5 stays open
run.log({"e": 5}, step=5)                   # merges into 5
run.log({"f": 6}, step=3)                   # lower: wandb drops it, so do we
run.log({"g": float("nan"), "h": float("inf"), "i": -math.inf})  # completes 5
run.log({"nested": {"x": 1.5, "deep": {"y": 2}}, "slash/key": 3})
run.log({"np32": np.float32(0.25), "np64": np.int64(7), "npbool": np.bool_(True), "arr0": np.array(4.5)})
run.log({"text": "skipped", "lst": [1, 2], "only": 1})
run.log({"k": 1}, step=20, commit=True)
run.log({"last": 9}, step=30)               # open at finish: wandb writes it at finish
run.finish()
print(json.dumps({"run": run.id}))
'''

FORK_SPAWN_MP = '''
import json, multiprocessing as mp, os, sys, wandb

def child(tag):
    import wandb
    r = wandb.init(project="kids", reinit=True)
    for i in range(3):
        r.log({tag: i})
    r.finish()
    print(json.dumps({tag: r.id}), flush=True)

if __name__ == "__main__":
    parent = wandb.init(project="parent")
    parent.log({"p": 1})
    parent.log({"q": 1}, step=3)  # open row at fork time: the child must not send it too
    pid = os.fork()
    if pid == 0:
        try:
            child("forked")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    for method in ("spawn", "fork"):
        ctx = mp.get_context(method)
        proc = ctx.Process(target=child, args=(method,))
        proc.start(); proc.join(120)
        assert proc.exitcode == 0, (method, proc.exitcode)
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(child, ["pool0", "pool1"])
    parent.log({"p": 2})
    parent.finish()
    print(json.dumps({"parent": parent.id}), flush=True)
'''

DISABLED = '''
import wandb
run = wandb.init(project="p", mode="disabled")
run.log({"a": 1})
wandb.log({"a": 2})
with run:
    pass
print("{}")
'''

NO_FINISH = '''
import json, wandb
run = wandb.init(project="p")
run.log({"a": 1})
run.log({"b": 2}, step=4)   # pending when the process exits without finish
print(json.dumps({"run": run.id}), flush=True)
'''

IDLE_CHILDREN = '''
import json, multiprocessing as mp, wandb

def idle(n):
    return n * 2  # a DataLoader-style worker: never touches wandb

if __name__ == "__main__":
    run = wandb.init(project="p")
    run.log({"a": 1})
    with mp.get_context("fork").Pool(2) as pool:
        assert pool.map(idle, range(4)) == [0, 2, 4, 6]
    p = mp.get_context("fork").Process(target=idle, args=(1,))
    p.start(); p.join(60)
    run.log({"a": 2})
    run.finish()
    print(json.dumps({"run": run.id}), flush=True)
'''

SPAWN_ATTACH = '''
import json, multiprocessing as mp, wandb

def child(run):
    run.log({"c": 1}, step=10, commit=True)  # the unpickled Run re-attaches to the parent's run

if __name__ == "__main__":
    run = wandb.init(project="p")
    run.log({"a": 1})
    proc = mp.get_context("spawn").Process(target=child, args=(run,))
    proc.start(); proc.join(120)
    assert proc.exitcode == 0
    run.log({"a": 2}, step=20)
    run.finish()
    print(json.dumps({"run": run.id}), flush=True)
'''
