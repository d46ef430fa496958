"""Write hparams sessions with tensorboardX or PyTorch and print what it was given.

Usage: export_hparams.py tensorboardx|pytorch LOGDIR

Each add_hparams call becomes a run of its own, LOGDIR/<name>, holding the
session start (hyper-parameters), the session end (both writers always
write STATUS_SUCCESS) and the metrics as scalars at step 3. PyTorch stores
a bool hyper-parameter as a number: its check for int (of which bool is a
subclass) comes before its check for bool; the output says what was
stored. Output: JSON {"sessions": [{"run", "hparams", "metrics"}]}.
"""

import json
import sys

SESSIONS = [
    ("trial-a", {"lr": 0.1, "bsize": 32, "opt": "adam", "dropout": True}, {"hparam/loss": 0.25, "hparam/acc": 0.875}),
    ("trial-b", {"lr": 1e-3, "bsize": 64, "opt": "sgd", "dropout": False}, {"hparam/loss": 0.5, "hparam/acc": 0.75}),
]


def main(writer, logdir):
    if writer == "tensorboardx":
        from tensorboardX import SummaryWriter

        def add(w, name, hparams, metrics):
            w.add_hparams(hparams, metrics, name=name, global_step=3)
            return hparams
    elif writer == "pytorch":
        from torch.utils.tensorboard import SummaryWriter

        def add(w, name, hparams, metrics):
            w.add_hparams(hparams, metrics, run_name=name, global_step=3)
            return {k: float(v) if isinstance(v, bool) else v for k, v in hparams.items()}
    else:
        sys.exit("export_hparams.py: unknown writer %r (want tensorboardx or pytorch)" % writer)

    out = {"sessions": []}
    with SummaryWriter(logdir) as w:
        for name, hparams, metrics in SESSIONS:
            stored = add(w, name, hparams, metrics)
            out["sessions"].append({"run": name, "hparams": stored, "metrics": metrics})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
