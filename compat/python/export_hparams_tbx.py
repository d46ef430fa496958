"""Write hparams sessions with tensorboardX and print what it was given.

Usage: export_hparams_tbx.py LOGDIR

Each add_hparams call becomes a run of its own, LOGDIR/<name>, holding the
session start (hyper-parameters), the session end (tensorboardX always
writes STATUS_SUCCESS) and the metrics as scalars. Output: JSON
{"sessions": [{"run", "hparams", "metrics"}]}.
"""

import json
import sys

from tensorboardX import SummaryWriter


def main(logdir):
    sessions = [
        ("trial-a", {"lr": 0.1, "bsize": 32, "opt": "adam", "dropout": True}, {"hparam/loss": 0.25, "hparam/acc": 0.875}),
        ("trial-b", {"lr": 1e-3, "bsize": 64, "opt": "sgd", "dropout": False}, {"hparam/loss": 0.5, "hparam/acc": 0.75}),
    ]
    out = {"sessions": []}
    with SummaryWriter(logdir) as w:
        for name, hparams, metrics in sessions:
            w.add_hparams(hparams, metrics, name=name, global_step=3)
            out["sessions"].append({"run": name, "hparams": hparams, "metrics": metrics})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
