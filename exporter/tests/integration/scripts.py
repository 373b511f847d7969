"""The training scripts the integration tests run in real-wandb subprocesses.

Each prints one JSON line on stdout naming the run ids it created, so the test can look up
what wandb stored for each run and what our capture server received for it.
"""

QUICKSTART = """
import wandb
run = wandb.init(project="my-project", config={"framework": "primus"}, name="my-run")
for step in range(100):
    wandb.log({"loss": 0.5, "accuracy": 0.9}, step=step)
wandb.finish()
print(__import__("json").dumps({"run": run.id}))
"""

PATHS = """
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
"""

CREATE_NEW = """
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
"""

STEPS = """
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
"""

FORK_SPAWN_MP = """
import json, multiprocessing as mp, os, sys, wandb

def child(tag):
    import wandb
    r = wandb.init(project="kids", reinit=True)
    for i in range(3):
        r.log({tag: i})
    r.finish()
    # One write of the whole line: the two pool workers finish together, and print() writes the
    # text and its newline separately when stdout is unbuffered, so their lines could interleave.
    os.write(1, (json.dumps({tag: r.id}) + "\\n").encode())

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
"""

DISABLED = """
import wandb
run = wandb.init(project="p", mode="disabled")
run.log({"a": 1})
wandb.log({"a": 2})
with run:
    pass
print("{}")
"""

NO_FINISH = """
import json, wandb
run = wandb.init(project="p")
run.log({"a": 1})
run.log({"b": 2}, step=4)   # pending when the process exits without finish
print(json.dumps({"run": run.id}), flush=True)
"""

IDLE_CHILDREN = """
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
"""

SPAWN_ATTACH = """
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
"""

# wandb's step sync: rows that lack a defined metric's step metric get its last value. Each line
# is a shape whose outcome was read from wandb-core's own history.
STEP_SYNC = """
import json, wandb
import numpy as np
run = wandb.init(project="p")
run.define_metric("epoch")
run.define_metric("val/*", step_metric="epoch")
run.define_metric("acc", step_metric="epoch")
run.define_metric("nosync", step_metric="epoch", step_sync=False)
run.define_metric("x", step_metric="myx")
run.define_metric("b", step_metric="flag")
run.define_metric("n.*", step_metric="epoch")
run.log({"acc": 0.1})                    # no epoch logged yet: 0
run.log({"x": 1})
run.log({"epoch": 1, "loss": 1})
run.log({"acc": 0.2})                    # epoch 1 added
run.log({"val/loss": 0.3})               # glob
run.log({"val": {"acc": 0.4}})           # key val.acc: not under val/
run.log({"n": {"q": 1}})                 # key n.q: under n.
run.log({"nosync": 5})
run.log({"epoch": 2}, commit=False)
run.log({"acc": 0.5})                    # epoch in the same row
run.log({"acc": 0.6, "epoch": 7.5})
run.log({"acc": 0.7})
run.summary["epoch"] = 100               # summary is not history
run.log({"acc": 0.8})
run.log({"epoch": float("nan")})
run.log({"acc": 0.9})                    # NaN is the last number
run.log({"epoch": "str"})                # not a number: ignored
run.log({"acc": 1.0})
run.log({"flag": True})                  # a bool is not a step value
run.log({"b": 1})
run.log({"myx": np.int64(8)})
run.log({"x": 2})
run.log({"myx": {"a": 1}})               # key myx.a does not hold myx
run.log({"x": 3})
run.define_metric("acc", step_metric="other", overwrite=True)
run.log({"acc": 2.0})                    # other: never logged, 0
run.define_metric("acc", summary="max", overwrite=True)
run.log({"acc": 3.0})                    # no step metric any more
run.define_metric("late_def", step_metric="loss")
run.log({"late_def": 1})                 # loss logged before it was named a step metric: 0
run.define_metric("*", step_metric="myx")
run.define_metric("zz", step_metric="epoch")
run.log({"zz": 1, "free": 2})            # exact beats glob; free gets myx
run.log({"h": 4}, step=60)
run.log({"h": 5}, step=61, commit=False)
run.log({"epoch": 11}, step=61)
run.log({"h": 6})
run.log({"late": 1}, commit=False)       # pending at finish
run.finish()
print(json.dumps({"run": run.id}))
"""

# The same shapes for wandb 0.16's Python service, less two: it fails on the summary definition,
# and it copies a string step value into later rows (the exporter never sees strings).
STEP_SYNC_LEGACY = STEP_SYNC.replace('run.define_metric("acc", summary="max", overwrite=True)\n', "").replace(
    'run.log({"epoch": "str"})                # not a number: ignored\n', ""
)
